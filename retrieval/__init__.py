"""From text to graph concepts (entity linking) and from concepts to the facts that answer (retrieval)."""
