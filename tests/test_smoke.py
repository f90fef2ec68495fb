from tests.conftest import bearer


def test_demo_calls_listed(client, demo):
    resp = client.get("/api/v1/calls", headers=bearer(demo["tokens"]["admin"]))
    assert resp.status_code == 200
    assert resp.json["total"] == 3
