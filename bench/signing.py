"""PAdES signing and validation throughput: sohoa's signing service vs a plain pyHanko script, in one run.

Usage: .venv/bin/python bench/signing.py [-n 25] [--validations 50] [--work DIR] [--out FILE]
                                         [--only SERIES ...] [--profile SIDE:SERIES:PAGES]

Both sides sign the same 1-page and 20-page Decree 30 PDFs (born-digital, with a text layer) with the same keys
of the test PKI (bench/testpki: OCSP, CRLs and a TSA on 127.0.0.1), in these series:

  bb-invisible   PAdES B-B, no appearance
  bb-visible     PAdES B-B, the personal signature (sohoa: the Decree 30 blue ink image, placed from the text
                 layer; plain: pyHanko's documented TextStampStyle with the same ink as background and a
                 Vietnamese text in Liberation Serif, at the box sohoa found: the script gets placement for free)
  blt-visible    PAdES B-LT (RFC 3161 timestamp, revocation data in the DSS), the same appearances
  pkcs11         PAdES B-B with the agency key on a SoftHSM2 token and the copy stamp text (SAO Y, agency,
                 number, ISO time) at the top right of page 1, certifying (DocMDP, no changes) on both sides as
                 sohoa does for an agency signature that comes first. Text rather than the seal: sohoa's seal
                 path first validates the personal signature under it (a Decree 30 rule), which would time a
                 validation, not a signature.

The plain script is what a developer writes from pyHanko's documentation, per signature: a fresh signer
(``SimpleSigner.load_pkcs12``, or a PKCS#11 session opened, logged in and closed), ``IncrementalPdfFileWriter``,
``PdfSignatureMetadata(subfilter=PADES)``, ``PdfSigner(...).sign_pdf``; for B-LT a fresh ``HTTPTimeStamper`` and a
fresh ``ValidationContext(trust_roots=[root], allow_fetching=True)``. It runs in a process of its own, as a script
would. sohoa is the service's path: one process-wide ``PadesSigner`` (``ingest.signatures.service``), keys through
``open_signer``, ``ingest.signatures.sign_file`` with a Runtime whose Settings point at a keyring over the test PKI.
No cache of sohoa's is keyed by the document, so signing the same input again gains nothing from the repetition.

Each side, series and input: one warm-up call (reported apart), then N timed calls, the two sides alternating
call by call so that whatever else runs on the machine weighs on both. CPU is the signing process's (all threads)
plus its finished children's (pdftotext); the test PKI runs in another process. Every PDF produced is validated
once with ``signing.validate.Validator`` and must be TOTAL_PASSED. Validations per second are measured on the
B-LT documents sohoa signed, with ``Validator(trust_bundle).validate`` and with pyHanko's
``validate_pdf_signature`` as its docs show it. A table is printed and everything is written to
bench/results/signing.json. About 2-3 minutes with the defaults on 2 cores.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import multiprocessing
import os
import platform
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))  # before bench/, whose signing.py (this file) would shadow the signing package

from bench.testpki import TestPKI  # noqa: E402
from bench.testpki.samples import decree30_pdf  # noqa: E402 - the decision the tests sign too

CORES = os.cpu_count() or 1
SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
PASSPHRASE_ENV = "SOHOA_BENCH_P12_PASSPHRASE"
PIN_ENV = "SOHOA_BENCH_TOKEN_PIN"
AGENCY = "Ủy ban nhân dân tỉnh Thử Nghiệm"
COPY_NUMBER = "07/SY-UBND"
PLAIN_TEXT = "Người ký: %(signer)s\nNgày ký: %(ts)s"  # the docs' stamp_text, in Vietnamese
PAGES = (1, 20)
SERIES = ("bb-invisible", "bb-visible", "blt-visible", "pkcs11")
TARGET_VISIBLE_RATIO = 3.0
TARGET_VALIDATIONS_PER_SECOND = 20.0


# ---------------------------------------------------------------- inputs


def write_keyring(pki: TestPKI, chain: list[Path], folder: Path, token) -> Path:
    """The personal signer (PKCS#12, signature image) and the agency on the SoftHSM token (seal image)."""
    from bench.testpki.images import seal_png, signature_png

    folder.mkdir(parents=True, exist_ok=True)
    sig = signature_png(folder / "chu-tich.png")
    seal = seal_png(folder / "seal.png")
    chain_line = f'chain = ["{chain[0]}"]' if chain else ""
    text = f'''[signers.chu-tich]
role = "personal"
pkcs12 = "{pki.p12("personal")}"
passphrase_env = "{PASSPHRASE_ENV}"
image = "{sig}"
{chain_line}

[signers.van-thu-hsm]
role = "agency"
agency = "{AGENCY}"
pkcs11_module = "{token.module}"
token_label = "{token.token_label}"
key_label = "{token.key_label}"
cert_label = "{token.cert_label}"
pin_env = "{PIN_ENV}"
image = "{seal}"
{chain_line}
'''
    path = folder / "keyring.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the test PKI, in a child process


def _serve_pki(workdir: str, conn) -> None:
    from bench.testpki import running_pki

    with running_pki(Path(workdir)) as pki:
        conn.send({"base_url": pki.base_url, "dir": str(pki.dir), "trust_bundle": str(pki.trust_bundle),
                   "untrusted_root": str(pki.untrusted_root), "tsa_url": pki.tsa_url,
                   "tsa_short_url": pki.tsa_short_url, "passphrase": pki.passphrase, "ocsp_url": pki.ocsp_url,
                   "now": pki.now, "chain": [str(p) for p in pki.chain_pems("personal")]})
        try:
            conn.recv()  # until the parent says stop, or goes away
        except EOFError:
            pass


@contextmanager
def pki_process(workdir: Path) -> Iterator[tuple[TestPKI, list[Path]]]:
    """``running_pki`` in a forked child, so the OCSP responder and the TSA neither compete for this process's GIL
    nor count in its CPU seconds."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_pki, args=(str(workdir), child), daemon=True, name="testpki")
    proc.start()
    child.close()
    try:
        if not parent.poll(120):
            raise RuntimeError("the test PKI did not start within 120 s")
        info = parent.recv()
        chain = [Path(p) for p in info.pop("chain")]
        info["dir"], info["trust_bundle"], info["untrusted_root"] = (
            Path(info["dir"]), Path(info["trust_bundle"]), Path(info["untrusted_root"]))
        yield TestPKI(**info), chain
    finally:
        try:
            parent.send("stop")
        except (BrokenPipeError, OSError):
            pass
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


# ---------------------------------------------------------------- measuring


def _cpu() -> float:
    """CPU seconds of this process (every thread) and of its children that have finished (pdftotext)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    c0, w0 = _cpu(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - w0, _cpu() - c0


class Tally:
    """Wall and CPU seconds of each timed call, and of the warm-up call apart."""

    def __init__(self) -> None:
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.warmup: tuple[float, float] | None = None

    def add(self, wall: float, cpu: float) -> None:
        if self.warmup is None:
            self.warmup = (wall, cpu)
        else:
            self.walls.append(wall)
            self.cpus.append(cpu)

    def summary(self) -> dict:
        n, wall, cpu = len(self.walls), sum(self.walls), sum(self.cpus)
        return {
            "n": n,
            "per_second": round(n / wall, 2),
            "per_cpu_second": round(n / cpu, 2) if cpu else None,
            "wall_ms": round(wall / n * 1000, 1),
            "wall_ms_median": round(statistics.median(self.walls) * 1000, 1),
            "wall_ms_min": round(min(self.walls) * 1000, 1),
            "cpu_ms": round(cpu / n * 1000, 1),
            "warmup_wall_ms": round(self.warmup[0] * 1000, 1),
            "warmup_cpu_ms": round(self.warmup[1] * 1000, 1),
        }


# ---------------------------------------------------------------- sohoa, as the service runs


class Sohoa:
    """``ingest.signatures`` over one Runtime: its process-wide PadesSigner, keyring and key cache."""

    def __init__(self, work: Path, pki: TestPKI, ring: Path):
        from ingest import signatures
        from ingest.runtime import Runtime
        from ingest.settings import Settings

        self.sig = signatures
        self.rt = Runtime(Settings(data_dir=work / "var", signing_keyring=ring, trust_anchors=pki.trust_bundle,
                                   tsa_url=pki.tsa_url))
        self.bundle = pki.trust_bundle

    def sign(self, series: str, pdf: bytes) -> bytes:
        s = self.sig
        if series == "pkcs11":
            from signing import appearance as look

            spec = s.signer_spec(self.rt, "van-thu-hsm")
            lines = look.copy_stamp_lines("SAO Y", AGENCY, COPY_NUMBER, datetime.now(look.VIETNAM))
            return s.sign_file(self.rt, pdf, spec, role="agency", level="B-B", appearance="text", text_lines=lines)
        spec = s.signer_spec(self.rt, "chu-tich")
        level = "B-LT" if series == "blt-visible" else "B-B"
        appearance = "none" if series == "bb-invisible" else "signature"
        return s.sign_file(self.rt, pdf, spec, role="personal", level=level, appearance=appearance)

    def validate(self, pdf: bytes) -> str:
        from signing.validate import Validator

        return Validator(self.bundle).validate(pdf).verdict


# ---------------------------------------------------------------- the plain pyHanko script, as its docs show


class Plain:
    """Everything a script does per signature, nothing kept from one signature to the next.

    ``boxes``: where the script puts the visible signature, hard-coded per input (the boxes sohoa finds, so the
    two look alike and the script gets its placement for free); ``ink_png``: the same blue transparent ink."""

    def __init__(self, p12: str, passphrase: bytes, trust_bundle: str, tsa_url: str, chain: list[str], token,
                 ink_png: str, boxes: dict):
        self.p12, self.passphrase, self.trust_bundle, self.tsa_url = p12, passphrase, trust_bundle, tsa_url
        self.chain, self.token, self.ink_png, self.boxes = chain, token, ink_png, boxes

    def sign(self, series: str, pages: int, pdf: bytes) -> bytes:
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.images import PdfImage
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields, signers, timestamps
        from pyhanko.stamp import TextStampStyle
        from pyhanko_certvalidator import ValidationContext

        if series == "pkcs11":
            return self._sign_pkcs11(pdf)
        signer = signers.SimpleSigner.load_pkcs12(pfx_file=self.p12, passphrase=self.passphrase)
        w = IncrementalPdfFileWriter(io.BytesIO(pdf))
        long_term = series == "blt-visible"
        vc = None
        if long_term:
            vc = ValidationContext(trust_roots=[load_cert_from_pemder(self.trust_bundle)], allow_fetching=True)
        meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256", embed_validation_info=long_term,
                                            validation_context=vc)
        spec = style = None
        if series != "bb-invisible":
            page, box = self.boxes[f"personal-{pages}"]
            spec = fields.SigFieldSpec(sig_field_name="Signature1", on_page=page, box=tuple(box))
            style = TextStampStyle(stamp_text=PLAIN_TEXT,
                                   text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(SERIF)),
                                   background=PdfImage(self.ink_png))
        timestamper = timestamps.HTTPTimeStamper(self.tsa_url) if long_term else None
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=signer, timestamper=timestamper, new_field_spec=spec,
                          stamp_style=style).sign_pdf(w, output=out)
        return out.getvalue()

    def _sign_pkcs11(self, pdf: bytes) -> bytes:
        import pkcs11
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields, signers
        from pyhanko.sign.pkcs11 import PKCS11Signer
        from pyhanko.stamp import TextStampStyle

        from signing.appearance import VIETNAM, copy_stamp_lines  # the same text, not the same engine

        t = self.token
        lines = copy_stamp_lines("SAO Y", AGENCY, COPY_NUMBER, datetime.now(VIETNAM))
        page, box = self.boxes["agency"]
        session = pkcs11.lib(t.module).get_token(token_label=t.token_label).open(user_pin=t.pin)
        try:
            signer = PKCS11Signer(session, cert_label=t.cert_label, key_label=t.key_label,
                                  ca_chain=[load_cert_from_pemder(c) for c in self.chain])
            w = IncrementalPdfFileWriter(io.BytesIO(pdf))
            meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES,
                                                md_algorithm="sha256", certify=True,
                                                docmdp_permissions=fields.MDPPerm.NO_CHANGES)
            style = TextStampStyle(stamp_text="\n".join(lines), border_width=0,
                                   text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(SERIF)))
            spec = fields.SigFieldSpec(sig_field_name="Signature1", on_page=page, box=tuple(box))
            out = io.BytesIO()
            signers.PdfSigner(meta, signer=signer, new_field_spec=spec, stamp_style=style).sign_pdf(w, output=out)
            return out.getvalue()
        finally:
            session.close()

    def validate(self, pdf: bytes) -> str:
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        vc = ValidationContext(trust_roots=[load_cert_from_pemder(self.trust_bundle)], allow_fetching=True)
        reader = PdfFileReader(io.BytesIO(pdf))
        status = validate_pdf_signature(reader.embedded_signatures[0], vc)
        return "TOTAL_PASSED" if status.bottom_line else "FAILED"


def _quiet_logs() -> None:
    import logging

    # fontTools warns about FontForge's FFTM table at every subset, pyHanko about a rounding in box layout, and
    # aiohttp about fetcher sessions pyHanko leaves open: noise in the progress output, not errors
    for name in ("fontTools", "pyhanko.pdf_utils.layout", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _plain_worker(conn, config: dict) -> None:
    """The plain script's process: sign or validate what it is sent, time it here (no IPC in the figures)."""
    _quiet_logs()
    plain = Plain(**config)
    profiles: dict[str, cProfile.Profile] = {}
    while True:
        msg = conn.recv()
        if msg is None:
            break
        op, args, profile = msg
        if op == "dump":
            profiles.pop(args[0]).dump_stats(args[0])
            conn.send(None)
            continue
        fn = getattr(plain, op)
        prof = profiles.setdefault(profile, cProfile.Profile()) if profile else None
        try:
            if prof:
                prof.enable()
            out, wall, cpu = timed(lambda: fn(*args))
            if prof:
                prof.disable()
            conn.send(("ok", out, wall, cpu))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops the run
            if prof:
                prof.disable()
            conn.send(("error", f"{type(exc).__name__}: {exc}", 0.0, 0.0))


class PlainProcess:
    """The plain script in a process of its own, as a script would run: its own interpreter, PKCS#11 library
    and login state (SoftHSM refuses a second login in the process where sohoa's session is open)."""

    def __init__(self, config: dict):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_plain_worker, args=(child, config), daemon=True, name="plain-pyhanko")
        self.proc.start()
        child.close()

    def call(self, op: str, *args, profile: str | None = None):
        self.conn.send((op, args, profile))
        status, out, wall, cpu = self.conn.recv()
        if status != "ok":
            raise RuntimeError(f"plain pyHanko {op} failed: {out}")
        return out, wall, cpu

    def dump_profile(self, path: str) -> None:
        self.conn.send(("dump", (path,), None))
        self.conn.recv()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)


# ---------------------------------------------------------------- the run


def machine() -> dict:
    import ssl

    import cryptography

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cores": CORES, "cpu": model, "python": platform.python_version(), "platform": platform.platform(),
            "pyhanko": version("pyhanko"), "pyhanko_certvalidator": version("pyhanko-certvalidator"),
            "cryptography": cryptography.__version__, "python_pkcs11": version("python-pkcs11"),
            "openssl": ssl.OPENSSL_VERSION}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=25, help="timed signatures per side, series and input (after one warm-up)")
    ap.add_argument("--validations", type=int, default=50, help="timed validations per side and input")
    ap.add_argument("--work", type=Path, default=None, help="work directory (default: a fresh temporary one)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "signing.json")
    ap.add_argument("--profile", metavar="SIDE:SERIES:PAGES", default=None,
                    help="cProfile one side's timed calls, e.g. sohoa:bb-visible:20, plain:blt-visible:1 or "
                         "sohoa:validate:1 (warm-up call included); the stats are printed and kept in the work directory")
    ap.add_argument("--only", nargs="*", choices=SERIES, default=list(SERIES), help="run only these series")
    args = ap.parse_args()
    if args.n < 1 or args.validations < 1:
        ap.error("-n and --validations must be at least 1")

    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="sohoa-bench-signing-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, work, started)
    finally:
        if args.work is None and not args.profile:
            shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path, started: float) -> int:
    from bench.testpki import softhsm_token

    _quiet_logs()
    load_before = os.getloadavg()
    print(f"signing bench: N={args.n} signatures per series and input, {args.validations} validations, "
          f"{CORES} cores, load {load_before[0]:.2f}, work {work}", flush=True)
    with pki_process(work / "pki") as (pki, chain):
        token = softhsm_token(pki, work)  # sets SOFTHSM2_CONF before any process here loads the PKCS#11 library
        os.environ[PASSPHRASE_ENV] = pki.passphrase.decode()
        os.environ[PIN_ENV] = token.pin
        ring = write_keyring(pki, chain, work / "keys", token)
        inputs = {p: decree30_pdf(p) for p in PAGES}
        print(f"test PKI at {pki.base_url}; inputs: "
              + ", ".join(f"{p} page{'s' if p > 1 else ''} {len(b) / 1024:.0f} KB" for p, b in inputs.items()), flush=True)

        sohoa = Sohoa(work, pki, ring)
        plain = PlainProcess(plain_config(sohoa, pki, chain, token, inputs, work))
        try:
            results, produced = sign_series(args, work, sohoa, plain, inputs)
            samples = work / "samples"  # the last PDF of each side, series and input, to look at (kept with --work)
            samples.mkdir(exist_ok=True)
            for key, doc in produced:
                (samples / f"{key.replace(':', '-')}.pdf").write_bytes(doc)
            validation = validation_series(args, work, sohoa, plain, produced)
        finally:
            plain.close()

        # every PDF produced, by either side, validated once
        print(f"validating all {len(produced)} signed PDFs with signing.validate.Validator ...", flush=True)
        verdicts: dict[str, dict[str, int]] = {}
        for key, doc in produced:
            counts = verdicts.setdefault(key, {})
            verdict = sohoa.validate(doc)
            counts[verdict] = counts.get(verdict, 0) + 1
        all_passed = all(set(v) == {"TOTAL_PASSED"} for v in verdicts.values())
        if not all_passed:
            print("NOT every signed PDF validated:", {k: v for k, v in verdicts.items() if set(v) != {"TOTAL_PASSED"}})

    report = summarise(args, results, validation, verdicts, all_passed, inputs, time.perf_counter() - started,
                       (load_before, os.getloadavg()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_table(report)
    print(f"written {args.out} in {report['bench_seconds']:.0f} s")
    return 0 if all_passed else 1


def plain_config(sohoa: Sohoa, pki: TestPKI, chain: list[Path], token, inputs: dict, work: Path) -> dict:
    """What the plain script is given: files, URLs, and where to put the stamps (sohoa's boxes, hard-coded)."""
    from ingest.signatures import _page_box  # the page box sohoa's own placement uses
    from signing.appearance import VIETNAM, copy_stamp_box, copy_stamp_lines, personal_box
    from signing.ink import ink_png

    spec = sohoa.sig.signer_spec(sohoa.rt, "chu-tich")
    ink = ink_png(spec.image.read_bytes(), sohoa.sig.BLUE)
    ink_path = work / "keys" / "chu-tich-ink.png"
    ink_path.write_bytes(ink.png)  # the same blue transparent ink sohoa stamps, as a PNG file for PdfImage
    boxes = {}
    for p, pdf in inputs.items():
        page, gap = sohoa.sig.signature_gap(pdf, None)
        boxes[f"personal-{p}"] = (page, personal_box(gap, ink))
    lines = copy_stamp_lines("SAO Y", AGENCY, COPY_NUMBER, datetime.now(VIETNAM))
    boxes["agency"] = (0, copy_stamp_box(_page_box(inputs[1], 0), lines))
    return {"p12": str(pki.p12("personal")), "passphrase": pki.passphrase, "trust_bundle": str(pki.trust_bundle),
            "tsa_url": pki.tsa_url, "chain": [str(c) for c in chain], "token": token, "ink_png": str(ink_path),
            "boxes": boxes}


def _profile_path(args, work: Path, key: str) -> Path | None:
    return work / f"profile-{key.replace(':', '-')}.pstats" if args.profile == key else None


def interleaved(n: int, calls: dict[str, Callable[[], tuple[object, float, float]]]) -> tuple[dict, list]:
    """One warm-up call each, then ``n`` rounds alternating which side goes first, so that whatever else the
    machine is doing weighs on both alike. Returns the tallies and (side, output) of every call."""
    tallies = {name: Tally() for name in calls}
    outputs = []
    names = list(calls)
    for i in range(n + 1):
        for name in names if i % 2 == 0 else names[::-1]:
            out, wall, cpu = calls[name]()
            tallies[name].add(wall, cpu)
            outputs.append((name, out))
    return tallies, outputs


def sign_series(args, work: Path, sohoa: Sohoa, plain: PlainProcess, inputs: dict) -> tuple[dict, list]:
    results: dict = {"sohoa": {}, "plain": {}}
    produced: list[tuple[str, bytes]] = []
    for series in args.only:
        for p, pdf in inputs.items():
            sohoa_prof = _profile_path(args, work, f"sohoa:{series}:{p}")
            plain_prof = _profile_path(args, work, f"plain:{series}:{p}")
            prof = cProfile.Profile() if sohoa_prof else None

            def run_sohoa(series=series, pdf=pdf, prof=prof):
                if prof:
                    prof.enable()
                try:
                    return timed(lambda: sohoa.sign(series, pdf))
                finally:
                    if prof:
                        prof.disable()

            def run_plain(series=series, p=p, pdf=pdf, plain_prof=plain_prof):
                return plain.call("sign", series, p, pdf, profile=str(plain_prof) if plain_prof else None)

            gc.collect()
            tallies, outputs = interleaved(args.n, {"plain": run_plain, "sohoa": run_sohoa})
            produced += [(f"{side}:{series}:{p}", out) for side, out in outputs]
            for side, tally in tallies.items():
                results[side].setdefault(series, {})[str(p)] = tally.summary()
            report_progress(series, p, results, "signatures")
            finish_profiles(prof, sohoa_prof, plain, plain_prof)
    return results, produced


def validation_series(args, work: Path, sohoa: Sohoa, plain: PlainProcess, produced: list) -> dict:
    """Validations per second on a B-LT document sohoa signed (1 and 20 pages), by both validators."""
    validation: dict = {"sohoa": {}, "plain": {}}
    for p in PAGES:
        doc = next((o for k, o in reversed(produced) if k == f"sohoa:blt-visible:{p}"), None)
        if doc is None:
            continue
        sohoa_prof = _profile_path(args, work, f"sohoa:validate:{p}")
        plain_prof = _profile_path(args, work, f"plain:validate:{p}")
        prof = cProfile.Profile() if sohoa_prof else None

        def run_sohoa(doc=doc, prof=prof):
            if prof:
                prof.enable()
            try:
                return timed(lambda: sohoa.validate(doc))
            finally:
                if prof:
                    prof.disable()

        def run_plain(doc=doc, plain_prof=plain_prof):
            return plain.call("validate", doc, profile=str(plain_prof) if plain_prof else None)

        gc.collect()
        tallies, outputs = interleaved(args.validations, {"plain": run_plain, "sohoa": run_sohoa})
        for side, tally in tallies.items():
            summary = tally.summary()
            verdicts = {v for s, v in outputs if s == side}
            summary["all_passed"] = verdicts == {"TOTAL_PASSED"}
            if not summary["all_passed"]:
                summary["verdicts"] = sorted(verdicts)
            validation[side][str(p)] = summary
        report_progress("validate B-LT", p, {"sohoa": {"validate B-LT": validation["sohoa"]},
                                             "plain": {"validate B-LT": validation["plain"]}}, "validations")
        finish_profiles(prof, sohoa_prof, plain, plain_prof)
    return validation


def report_progress(series: str, p: int, results: dict, what: str) -> None:
    s, q = results["sohoa"][series][str(p)], results["plain"][series][str(p)]
    print(f"  {series:13} {p:2} p   sohoa {s['per_second']:6.2f}/s ({s['cpu_ms']:6.1f} ms CPU)   "
          f"plain {q['per_second']:6.2f}/s ({q['cpu_ms']:6.1f} ms CPU)   x{s['per_second'] / q['per_second']:.2f}   "
          f"warm-up {s['warmup_wall_ms']:.0f} / {q['warmup_wall_ms']:.0f} ms", flush=True)


def finish_profiles(prof, sohoa_prof: Path | None, plain: PlainProcess, plain_prof: Path | None) -> None:
    if prof and sohoa_prof:
        prof.dump_stats(str(sohoa_prof))
        print_profile(sohoa_prof)
    if plain_prof:
        plain.dump_profile(str(plain_prof))
        print_profile(plain_prof)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def summarise(args, results, validation, verdicts, all_passed, inputs, seconds, load) -> dict:
    ratios: dict = {}
    for series, per_pages in results["sohoa"].items():
        for p, s in per_pages.items():
            q = results["plain"][series][p]
            ratios.setdefault(series, {})[p] = {
                "signatures_per_second": _ratio(s["per_second"], q["per_second"]),
                "signatures_per_cpu_second": _ratio(s["per_cpu_second"], q["per_cpu_second"]),
            }
    for p, s in validation["sohoa"].items():
        q = validation["plain"][p]
        ratios.setdefault("validate-blt", {})[p] = {
            "validations_per_second": _ratio(s["per_second"], q["per_second"]),
            "validations_per_cpu_second": _ratio(s["per_cpu_second"], q["per_cpu_second"]),
        }
    targets = {}
    for p, r in ratios.get("bb-visible", {}).items():
        targets[f"B-B visible Decree 30 signature, {p} page{'s' if p != '1' else ''}: >= "
                f"{TARGET_VISIBLE_RATIO:g}x the plain script's signatures/s"] = r["signatures_per_second"] >= TARGET_VISIBLE_RATIO
    if "1" in validation["sohoa"]:
        v = validation["sohoa"]["1"]
        targets[f"validation of a 1-page B-LT document: >= {TARGET_VALIDATIONS_PER_SECOND:g}/s"] = \
            v["per_second"] >= TARGET_VALIDATIONS_PER_SECOND and v["all_passed"]
    return {
        "bench": "signing",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "load_average_1min": {"start": round(load[0][0], 2), "end": round(load[1][0], 2)},
        "n": args.n,
        "validations_n": args.validations,
        "method": {
            "warmup": "one call per side, series and input before the N timed ones, reported as warmup_*_ms",
            "interleaving": "sohoa and the plain script alternate call by call (which goes first alternates too)",
            "plain_process": "the plain script runs in a process of its own; its figures are taken inside it",
            "cpu": "process CPU (all threads) + finished children (pdftotext); the test PKI is another process",
            "per_second": "N / the sum of the N calls' wall times",
        },
        "inputs": {str(p): {"pages": p, "bytes": len(b)} for p, b in inputs.items()},
        "series": {
            "bb-invisible": "PAdES B-B, no appearance (sohoa: appearance 'none')",
            "bb-visible": "PAdES B-B, the personal signature image (sohoa: Decree 30 ink placed from the text layer; "
                          "plain: TextStampStyle, the same ink as background + a Vietnamese text, at sohoa's box)",
            "blt-visible": "PAdES B-LT (RFC 3161 timestamp, revocation data in the DSS), same appearances",
            "pkcs11": "PAdES B-B, agency key on a SoftHSM2 token, copy stamp text (SAO Y) top right of page 1, "
                      "certifying (DocMDP, no changes) on both sides",
            "validate-blt": "a B-LT document sohoa signed; sohoa: signing.validate.Validator(trust_bundle).validate; "
                            "plain: validate_pdf_signature with ValidationContext(trust_roots=[root], allow_fetching=True)",
        },
        "signing": results,
        "validation": validation,
        "ratios_sohoa_over_plain": ratios,
        "targets_met": targets,
        "every_output_total_passed": all_passed,
        "output_verdicts": verdicts,
        "bench_seconds": round(seconds, 1),
    }


def print_table(report: dict) -> None:
    sig, val, ratios = report["signing"], report["validation"], report["ratios_sohoa_over_plain"]
    rows = [(s, p, sig["sohoa"][s][p], sig["plain"][s][p], ratios[s][p]) for s in sig["sohoa"] for p in sig["sohoa"][s]]
    rows += [("validate-blt", p, val["sohoa"][p], val["plain"][p], ratios["validate-blt"][p]) for p in val["sohoa"]]
    head = (f"{'series':13} {'pages':>5} | {'sohoa /s':>8} {'plain /s':>8} {'ratio':>6} | {'sohoa CPU':>9} "
            f"{'plain CPU':>9} {'ratio':>6} | {'warm-up sohoa':>13} {'plain':>6}")
    print()
    print(head)
    print("-" * len(head))
    for name, p, s, q, r in rows:
        wall_r, cpu_r = list(r.values())
        print(f"{name:13} {p:>5} | {s['per_second']:8.2f} {q['per_second']:8.2f} {wall_r:5.2f}x | "
              f"{s['cpu_ms']:6.1f} ms {q['cpu_ms']:6.1f} ms {cpu_r:5.2f}x | "
              f"{s['warmup_wall_ms']:10.0f} ms {q['warmup_wall_ms']:3.0f} ms")
    print("(per second: wall clock; CPU: milliseconds per call, ratio = plain CPU / sohoa CPU)")
    print()
    for name, ok in report["targets_met"].items():
        print(f"  [{'met' if ok else 'MISSED'}] {name}")
    print(f"  [{'ok' if report['every_output_total_passed'] else 'FAILED'}] every signed PDF "
          f"({sum(sum(v.values()) for v in report['output_verdicts'].values())}) validates TOTAL_PASSED")


def print_profile(path: Path, top: int = 25) -> None:
    print(f"  profile written to {path}; top functions by cumulative time:")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
