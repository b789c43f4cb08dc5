import json

from core.copy.audit.service import RUN_KIND, load_batch_tables, record_export, save_batch
from core.copy.backends.template import TemplateBackend
from core.copy.generate import CopyRequest, generate_copy
from core.copy.review import edit_variant, set_status
from core.workspace import get_workspace
from tests.unit.copy.conftest import AUTHOR, REVIEWER


def test_batch_is_saved_with_request_backend_seed_findings_and_review(segment):
    batch = generate_copy(CopyRequest("personal_loan", "sms", segment, "reassuring", "en", 3, 9), TemplateBackend())
    run_id = save_batch(batch)
    ws = get_workspace()
    run = ws.get_run(run_id)
    assert run.kind == RUN_KIND and run.seed == 9
    assert run.model_fingerprint.startswith("template-")
    assert run.params["product_id"] == "personal_loan" and run.params["segment"]["name"] == "Young families"
    tables = load_batch_tables(run_id)
    assert set(tables) >= {"variants", "blocked", "events"}
    assert json.loads(tables["variants"]["findings_json"].iloc[0])

    v = batch.variants[0]
    edit_variant(batch, v.id, v.body + " Questions? Our team is here to help.", AUTHOR)
    set_status(batch, v.id, "approved", REVIEWER)
    record_export(batch, "CSV", None, 1, REVIEWER)
    assert save_batch(batch) == run_id  # same run, updated
    tables = load_batch_tables(run_id)
    assert list(tables["events"]["action"]) == ["generated", "edited", "approved", "exported"]
    row = tables["variants"].set_index("variant_id").loc[v.id]
    assert row["status"] == "approved" and json.loads(row["edits_json"])
    assert ws.get_run(run_id).result["review"]["approved"] == 1
