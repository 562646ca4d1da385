"""Answers and triage on top of retrieval: `qa.answer.Answerer` (grounded, cited answers) and the triager."""
