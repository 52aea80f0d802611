"""The document-type model: training on generator text, stored models, retraining from clerks' corrections,
and its combination with the layout rules. Real scikit-learn, real catalog (SQLite) and object store."""

from __future__ import annotations

import gzip
import json
import random
import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from ingest import typemodel
from ingest.classify import classify
from ingest.doctypes import ALL, BY_CODE
from ingest.extract import Extracted, Line, extract
from storage.catalog import ClassifierModel, Correction, Document, DocumentPage, ScanPage

PER_TYPE = 8  # a subset of the seed corpus keeps each (re)training in the catalog tests to a second or two
MODEL_PER_TYPE = 20  # the model the prediction tests share


def lines_of(text: str, conf: float = 92.0) -> list[Line]:
    return [Line(t, 1, (100, 60 * i, 900, 40), conf) for i, t in enumerate(x for x in text.splitlines() if x.strip())]


@pytest.fixture(scope="module")
def subset() -> list[tuple[str, str]]:
    by_type = defaultdict(list)
    for text, code in typemodel.seed_corpus():
        by_type[code].append((text, code))
    rng = random.Random(0)
    out = []
    for code in sorted(by_type):
        out += rng.sample(by_type[code], min(PER_TYPE, len(by_type[code])))
    return out


@pytest.fixture(scope="module")
def model() -> typemodel.TypeModel:
    by_type = defaultdict(list)
    for text, code in typemodel.seed_corpus():
        by_type[code].append((text, code))
    return typemodel.train([s for code in sorted(by_type) for s in by_type[code][:MODEL_PER_TYPE]])


@pytest.fixture
def small_corpus(subset, tmp_path, monkeypatch):
    """The seed corpus cut down to ``subset`` for the catalog tests (retrain reads ``typemodel.CORPUS``)."""
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for text, code in subset:
            f.write(json.dumps({"type": code, "text": text}, ensure_ascii=False) + "\n")
    monkeypatch.setattr(typemodel, "CORPUS", path)
    return path


def test_the_seed_corpus_covers_every_type():
    counts = defaultdict(int)
    for _text, code in typemodel.seed_corpus():
        counts[code] += 1
    assert set(counts) == {t.code for t in ALL}
    assert min(counts.values()) >= 30


def test_trained_on_generator_text_it_types_unseen_generator_text(model):
    from bench import synthetic
    from bench.build_type_corpus import damage_text

    seeds = list(synthetic.BENCH_SEEDS)
    hits, total = 0, 0
    for i, t in enumerate(ALL):
        if t.code == "khac":
            continue
        text = synthetic.document_text(seeds[i], t.code, synthetic.TIERS[i % 3])
        text = damage_text(text, random.Random(i), "light")
        best, p = model.predict(text)[0]
        hits += best == t.code
        total += 1
    assert hits / total >= 0.9, (hits, total)


def test_predictions_are_probabilities_best_first_and_fast(model):
    text = "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 12/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc ban hành quy chế một cửa"
    ranked = model.predict(text)
    probs = [p for _c, p in ranked]
    assert ranked[0][0] == "quyet_dinh"
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-6
    assert set(model.classes) == {t.code for t in ALL}
    long_text = "\n".join([text] + ["Các cơ quan, đơn vị có trách nhiệm tổ chức số hóa hồ sơ."] * 400)
    started = time.perf_counter()
    for _ in range(20):
        model.predict(long_text)
    assert (time.perf_counter() - started) / 20 < 0.05


def test_english_prose_and_nothing_at_all_are_other(model):
    english = "\n".join(["Dear Sir or Madam,", "We are pleased to confirm your hotel booking for two nights in March."] * 6)
    assert model.predict(english)[0][0] == "khac"
    assert model.predict("")[0][0] == "khac"


def test_bytes_round_trip(model):
    data = model.to_bytes()
    assert len(data) < 4_000_000
    again = typemodel.TypeModel.from_bytes(data)
    text = "Số: 07/TB-STP\nTHÔNG BÁO\nKết luận của Giám đốc Sở tại cuộc họp giao ban"
    assert again.predict(text) == model.predict(text)
    with pytest.raises(typemodel.ModelError):
        typemodel.TypeModel.from_bytes(b"not a model")
    with pytest.raises(typemodel.ModelError):
        typemodel.TypeModel.from_bytes(data[:200])


# --- the catalog -----------------------------------------------------------------------------------------------

SURVEY = """PHIẾU KHẢO SÁT
MỨC ĐỘ HÀI LÒNG CỦA NGƯỜI DÂN ĐỐI VỚI DỊCH VỤ HÀNH CHÍNH CÔNG
Lĩnh vực: {field}
Câu 1. Ông/bà đánh giá thế nào về thái độ phục vụ của công chức tiếp nhận hồ sơ?
Rất hài lòng  Hài lòng  Bình thường  Không hài lòng
Câu 2. Thời gian chờ đợi tại quầy tiếp nhận là bao lâu? {minutes} phút
Câu 3. Ông/bà có góp ý gì để nâng cao chất lượng phục vụ?
Xin trân trọng cảm ơn ông/bà đã tham gia khảo sát!"""


def survey(i: int) -> str:
    return SURVEY.format(field=["Hộ tịch", "Đất đai", "Xây dựng", "Kinh doanh", "Tư pháp"][i % 5], minutes=5 + 3 * i)


def add_document(rt, text: str, n: int) -> str:
    """A digitized document of one page with ``text``, as the pipeline would leave it."""
    sha = f"{n:064x}"
    with rt.catalog.session() as s, s.begin():
        page = ScanPage(source_sha256=sha, number=1, status="ok", text=text, text_folded="")
        s.add(page)
        s.flush()
        doc = Document(source_sha256=sha, pdf_sha256="c" * 64, filename=f"{n}.pdf", mime="application/pdf", page_count=1,
                       doc_type="khac", type_confidence=0.4)
        doc.pages = [DocumentPage(position=1, scan_page_id=page.id)]
        s.add(doc)
        s.flush()
        return doc.id


def correct_type(rt, doc_id: str, old: str, new: str) -> None:
    """What ``ingest.review.correct`` records for a clerk's type change."""
    with rt.catalog.session() as s, s.begin():
        s.add(Correction(document_id=doc_id, field="type", old={"value": old, "confidence": 0.4}, new={"value": new}, by="clerk"))
        s.get(Document, doc_id).doc_type = new


def test_retraining_learns_from_clerks_corrections(rt, small_corpus):
    first = typemodel.ensure_model(rt)  # the seed model
    assert first.active and first.corrections == 0 and first.samples == len(typemodel.seed_corpus())
    before = typemodel.active_model(rt, check_every_s=0)
    unseen = survey(99)
    assert before.predict(unseen)[0][0] != "to_khai"

    for i in range(4):
        doc = add_document(rt, survey(i), i + 1)
        correct_type(rt, doc, "khac", "bao_cao")
        correct_type(rt, doc, "bao_cao", "to_khai")  # the latest correction is the label
    progress = []
    row = typemodel.retrain(rt, progress=progress.append)
    assert progress and row.corrections == 4 and row.samples == len(typemodel.seed_corpus()) + 4
    assert row.info["last_correction_id"] > 0 and row.info["held_out"]["n"] > 0 and 0.5 < row.accuracy <= 1

    after = typemodel.active_model(rt, check_every_s=0)
    assert after.sha256 == row.sha256 != first.sha256
    best, p = after.predict(unseen)[0]
    assert best == "to_khai", after.predict(unseen)[:3]
    with rt.catalog.session() as s:
        active = s.scalars(select(ClassifierModel).where(ClassifierModel.active.is_(True))).all()
    assert [m.id for m in active] == [row.id]  # one active model; the older one is kept, inactive


def test_a_process_picks_up_a_model_trained_elsewhere(rt, small_corpus, model):
    typemodel.ensure_model(rt)
    mine = typemodel.active_model(rt)
    # another process stores a newer model: a row and its object, nothing in this process's cache
    sha = rt.store.put_bytes(model.to_bytes()).sha256
    with rt.catalog.session() as s, s.begin():
        s.execute(ClassifierModel.__table__.update().values(active=False))
        s.add(ClassifierModel(sha256=sha, active=True, samples=1, corrections=0))
    assert typemodel.active_model(rt).sha256 == mine.sha256  # asked the catalog less than a minute ago
    assert typemodel.active_model(rt, check_every_s=0).sha256 == sha
    assert typemodel.active_model(rt).predict("Số: 07/QĐ-UBND\nQUYẾT ĐỊNH")[0][0] == "quyet_dinh"


def test_ensure_model_is_idempotent_and_safe_when_processes_race(rt, small_corpus):
    assert typemodel.active_model(rt, check_every_s=0) is None
    rows = []
    threads = [threading.Thread(target=lambda: rows.append(typemodel.ensure_model(rt))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = typemodel.ensure_model(rt)
    with rt.catalog.session() as s:
        models = s.scalars(select(ClassifierModel)).all()
        active = [m for m in models if m.active]
    assert 1 <= len(models) <= 2 and len(active) == 1
    assert {r.id for r in rows} == {again.id} == {active[0].id}
    assert typemodel.active_model(rt, check_every_s=0).sha256 == again.sha256


def test_a_model_that_cannot_be_read_is_replaced(rt, small_corpus):
    with rt.catalog.session() as s, s.begin():
        s.add(ClassifierModel(sha256=rt.store.put_bytes(b"junk").sha256, active=True, samples=0, corrections=0))
    assert typemodel.active_model(rt, check_every_s=0) is None  # never raises: the rules work alone
    row = typemodel.ensure_model(rt)
    assert typemodel.active_model(rt, check_every_s=0).sha256 == row.sha256


def test_retrain_if_due(rt, small_corpus):
    assert typemodel.retrain_if_due(rt, 0) is None  # disabled
    first = typemodel.retrain_if_due(rt, 24)  # no model yet: the seed model
    assert first is not None
    assert typemodel.retrain_if_due(rt, 24) is None  # no corrections since
    doc = add_document(rt, survey(2), 7)
    correct_type(rt, doc, "khac", "to_khai")
    assert typemodel.retrain_if_due(rt, 24) is None  # corrections, but the model is recent
    with rt.catalog.session() as s, s.begin():
        s.get(ClassifierModel, first.id).created_at -= timedelta(hours=25)
    row = typemodel.retrain_if_due(rt, 24)
    assert row is not None and row.corrections == 1
    assert typemodel.retrain_if_due(rt, 24) is None


# --- rules and model together ------------------------------------------------------------------------------------


def test_classify_without_a_model_keeps_the_rules():
    lines = lines_of("UBND TỈNH AN GIANG\nSở Tư pháp\nSố: 07/QĐ-STP\nQUYẾT ĐỊNH\nVề việc ban hành quy chế")
    c = classify(lines, extract(lines))
    assert c.type.code == "quyet_dinh" and c.confidence >= 0.9 and c.alternatives == ()


def test_rules_that_agree_with_the_model_are_confident(model):
    lines = lines_of("ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 07/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc ban hành quy chế một cửa")
    c = classify(lines, extract(lines), model)
    assert c.type.code == "quyet_dinh" and c.confidence >= 0.95
    assert "agree" in c.evidence and "model" in c.evidence
    assert c.alternatives[0][0] == "quyet_dinh" and len(c.alternatives) == 3


def test_without_rules_the_model_decides_and_rules_against_it_lower_the_confidence(model):
    # no "Số:" line and no title in capitals: only the words say it is a plan
    plan = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nỦy ban nhân dân tỉnh An Giang\nKế hoạch triển khai số hóa hồ sơ, kết quả giải quyết thủ tục hành chính năm 2024\n"
            "I. MỤC ĐÍCH, YÊU CẦU\nII. NHIỆM VỤ VÀ GIẢI PHÁP\nIII. TỔ CHỨC THỰC HIỆN\nKinh phí thực hiện kế hoạch được bố trí từ ngân sách")
    c = classify(lines_of(plan), extract(lines_of(plan)), model)
    assert c.type.code == c.alternatives[0][0] and c.confidence == pytest.approx(c.alternatives[0][1], abs=0.01)
    # a title that says one thing, a symbol that says another
    lines = lines_of("ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 07/TB-UBND\nQUYẾT ĐỊNH\nVề việc ban hành quy chế\nĐiều 1. Ban hành kèm theo")
    c = classify(lines, extract(lines), model)
    assert c.type.code in ("quyet_dinh", "thong_bao") and "model" in c.evidence


def test_bad_input_gives_other_with_low_confidence(model):
    for m in (None, model):
        c = classify([], Extracted(), m)
        assert c.type.code == "khac" and c.confidence < 0.5
        c = classify([Line("   ", 1, (0, 0, 1, 1), 0.0)], Extracted(), m)
        assert c.type.code == "khac" and c.confidence < 0.5
    english = lines_of("\n".join(["INVOICE", "Dear customer, thank you for your order of three books and one dvd."] * 8))
    c = classify(english, extract(english), model)
    assert c.type.code == "khac"


def test_a_broken_model_falls_back_to_the_rules():
    class Broken:
        def predict(self, text):
            raise RuntimeError("boom")

    lines = lines_of("Số: 07/QĐ-STP\nQUYẾT ĐỊNH\nVề việc ban hành quy chế")
    c = classify(lines, extract(lines), Broken())
    assert c.type.code == "quyet_dinh" and c.confidence < 0.8 and "failed" in c.evidence


def test_every_type_code_is_known():
    assert all(t.code in BY_CODE for t in ALL)


# --- the command and the periodic task -----------------------------------------------------------------------------


@pytest.fixture
def env_settings(settings, monkeypatch):
    """Point get_settings() (what the CLI and Celery tasks read) at this test's data dir."""
    from ingest.settings import get_settings

    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_sohoa_retrain_prints_what_it_trained(env_settings, small_corpus, rt):
    from typer.testing import CliRunner

    from api.cli import app

    doc = add_document(rt, survey(3), 9)
    correct_type(rt, doc, "khac", "to_khai")
    result = CliRunner().invoke(app, ["retrain"])
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output and "1 corrected documents" in result.output
    with rt.catalog.session() as s:
        row = s.scalars(select(ClassifierModel).where(ClassifierModel.active.is_(True))).one()
    assert row.corrections == 1 and f"model {row.id} " in result.output


def test_the_periodic_task_and_its_schedule(env_settings, small_corpus):
    from ingest import tasks
    from ingest.settings import Settings

    tasks.schedule(Settings(retrain_interval_hours=6))
    assert tasks.app.conf.beat_schedule["retrain-type-model"]["schedule"] == timedelta(hours=6)
    assert tasks.app.conf.beat_schedule["retrain-type-model"]["task"] == tasks.retrain.name == "sohoa.retrain"
    tasks.schedule(Settings(retrain_interval_hours=0))
    assert "retrain-type-model" not in tasks.app.conf.beat_schedule
    assert tasks.app.conf.beat_schedule["renew-long-term-signatures"]["task"] == tasks.renew_signatures.name
    tasks.schedule(Settings(retrain_interval_hours=0, renew_interval_hours=0, fixity_interval_hours=0))
    assert tasks.app.conf.beat_schedule == {}
    tasks.schedule(env_settings)
    first = tasks.retrain.run()  # no model yet: the seed model
    assert first and first["corrections"] == 0
    assert tasks.retrain.run() is None  # nothing new since
