"""Wiring of the parts: one `KGContext` per process holds the store and lazily builds the linker,
retriever, answerer and triager on top of it. The CLI, the API and the app all go through it."""
from __future__ import annotations

import threading
from functools import cached_property

from kg.store import GraphStore, open_store
from kgqa.settings import Settings, load_settings


class KGContext:
    def __init__(self, settings: Settings | None = None, store: GraphStore | None = None):
        self.settings = settings or load_settings()
        self._store = store
        self._lock = threading.RLock()

    @cached_property
    def store(self) -> GraphStore:
        if self._store is not None:
            return self._store
        s = self.settings
        return open_store(s.store_url, user=s.neo4j_user, password=s.neo4j_password,
                          database=s.neo4j_database or None)

    @cached_property
    def linker(self):
        from retrieval.linker import Linker
        with self._lock:
            return Linker.from_store(self.store, self.settings)

    @cached_property
    def retriever(self):
        from retrieval.retriever import FactRetriever
        with self._lock:
            return FactRetriever(self.store, self.linker)

    @cached_property
    def answerer(self):
        from qa.answer import Answerer
        with self._lock:
            return Answerer.from_settings(self.retriever, self.settings)

    @cached_property
    def triager(self):
        from qa.triage import Triager
        with self._lock:
            from qa.triage_urgency_model import ModelPickup, default_folder, load_configured
            s = self.settings
            threads = s.embedding_threads or None     # one knob for every ONNX Runtime session of the process
            triager = Triager(self.store, self.linker, cache_dir=s.cache_dir, sources_dir=s.sources_dir or None,
                              urgency_model=load_configured(s.urgency_model, s.home, s.urgency_precision, threads))
            if s.urgency_model == "auto":
                # a model trained later (in the background by `make run`, or retrained) is used once it is there
                triager.model_pickup = ModelPickup(default_folder(s.home), triager.use_urgency_model,
                                                   s.urgency_precision, threads)
            return triager

    @cached_property
    def curation(self):
        """The curation workflow on this store; approved changes update the linker live."""
        from kg.curation import CurationService
        from kg.curation.log import CurationLog
        with self._lock:
            service = CurationService(self.store, CurationLog(self.settings.curation_log_path))
            service.listeners.append(self._on_curation_change)
            return service

    def _on_curation_change(self, change, effect) -> None:
        # Only touch the linker if it was built already; a later build reads the updated store anyway.
        linker = self.__dict__.get("linker")
        if linker is None:
            return
        for entity_id in effect.removed:
            linker.remove_entity(entity_id)
        if effect.renamed:
            linker.add_entities(effect.renamed)

    def close(self) -> None:
        if "curation" in self.__dict__:
            self.curation.log.close()
        if "store" in self.__dict__:
            self.store.close()
