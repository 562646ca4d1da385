"""One importer per source; `IMPORTERS` lists them in build order (earlier sources name shared ids)."""
from __future__ import annotations

from kg.importers.base import Importer, ImportFormatError, Record, SourceMissing

__all__ = ["IMPORTERS", "get_importers", "Importer", "ImportFormatError", "Record", "SourceMissing"]


def get_importers() -> dict[str, Importer]:
    from kg.importers import ddxplus, disease_ontology, drugbank, hetionet, hetionet_release, hpo, kgx
    order = [hpo.IMPORTER, disease_ontology.OBO_IMPORTER, disease_ontology.REPORTS_IMPORTER, hetionet.IMPORTER,
             drugbank.IMPORTER, ddxplus.IMPORTER, hetionet_release.IMPORTER, kgx.IMPORTER]
    return {i.name: i for i in order}


IMPORTERS = get_importers
