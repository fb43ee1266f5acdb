from api.services.gateway import ENGINE_DOWN_REPLY


def test_chat_with_engine_down_answers_kindly(client):
    response = client.post("/chat/messages", json={"client_id": "abc12345-web", "text": "hi"})
    assert response.status_code == 200
    assert response.json()["messages"][0]["text"] == ENGINE_DOWN_REPLY


def test_chat_rejects_a_malformed_client_id(client):
    response = client.post("/chat/messages", json={"client_id": "<script>", "text": "hi"})
    assert response.status_code == 422


def test_healthz_is_503_and_says_which_part_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["engine"] == "down" and body["action_server"] == "down"
    assert body["database"]["state"] == "up" and body["database"]["services"] >= 34


def test_demo_site_embeds_the_widget_with_one_script_tag(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.text.count("<script") == 1 and 'src="/static/widget.js"' in page.text
    widget = client.get("/static/widget.js")
    assert widget.status_code == 200 and "/chat/messages" in widget.text


def test_only_configured_sites_may_embed_the_chat(settings_engine_down):
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = settings_engine_down.model_copy(
        update={"widget_allowed_origins": "https://recovery.example.org"})
    with TestClient(create_app(settings)) as c:
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        allowed = c.options("/chat/messages",
                            headers={"Origin": "https://recovery.example.org", **preflight})
        other = c.options("/chat/messages", headers={"Origin": "https://evil.example", **preflight})
    assert allowed.headers.get("access-control-allow-origin") == "https://recovery.example.org"
    assert "access-control-allow-origin" not in other.headers


def test_interpret_with_engine_down_is_a_clear_503(client):
    response = client.post("/api/v1/interpret", json={"text": "jobs in erie"})
    assert response.status_code == 503
    assert "engine" in response.json()["detail"]


def test_interpret_says_crisis_even_with_the_engine_down(client):
    """The crisis net reads the text before the engine does, as it does for an SMS."""
    for text in ("my roommate is blue and wont wake up",
                 "been saving up my pills for a while now. tonight feels like the night"):
        response = client.post("/api/v1/interpret", json={"text": text})
        assert response.status_code == 200, text
        assert response.json()["need"] == "crisis", text
        assert response.json()["confidence"] == 1.0


def test_interpret_refuses_empty_text(client):
    assert client.post("/api/v1/interpret", json={"text": ""}).status_code == 422


def test_interpret_location_fills_the_county_from_a_zip_or_town():
    from api.routers.interpret import location_of

    assert location_of(["16501"]).model_dump() == {"zip": "16501", "city": "Erie",
                                                   "county": "Erie"}
    assert location_of(["wilkes barre"]).county == "Luzerne"
    assert location_of(["allegheny county"]).model_dump() == {"zip": None, "city": None,
                                                              "county": "Allegheny"}
    assert location_of(["ohio"]).model_dump() == {"zip": None, "city": None, "county": None}


def test_a_crisis_message_on_web_chat_is_flagged_for_the_widget(client):
    body = client.post("/chat/messages", json={"client_id": "abc12345-web",
                                               "text": "i want to kill myself"}).json()
    [message] = body["messages"]
    assert message["custom"]["crisis"] is True and "988" in message["text"]


def test_chat_over_websocket_answers_each_message_with_its_id(client):
    with client.websocket_connect("/chat/ws") as ws:
        ws.send_json({"id": "7", "client_id": "abc12345-web", "text": "i want to die"})
        reply = ws.receive_json()
        assert reply["id"] == "7" and reply["messages"][0]["custom"]["crisis"] is True
        ws.send_text("not json")
        assert "bad message" in ws.receive_json()["error"]
        ws.send_json({"id": "8", "client_id": "abc12345-web", "text": "hi"})
        assert ws.receive_json()["id"] == "8"  # the socket survived the bad message


def test_websocket_from_a_site_not_allowed_is_refused(client):
    import pytest
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), \
            client.websocket_connect("/chat/ws", headers={"origin": "https://evil.example"}) as ws:
        ws.receive_json()


def test_pages_carry_security_headers_and_a_strict_csp(client):
    page = client.get("/")
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "<style" not in page.text and "<script>" not in page.text  # nothing inline to allow


def test_a_huge_body_is_refused_with_413(client):
    response = client.post("/chat/messages", content=b"x" * (65 * 1024),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_flood_from_one_sender_gets_a_kind_pause_but_crisis_still_answered(client):
    replies = [client.post("/chat/messages", json={"client_id": "flood-0000001", "text": "hi"})
               .json()["messages"][0]["text"] for _ in range(21)]
    assert "very fast" in replies[-1] and "very fast" not in replies[0]
    crisis = client.post("/chat/messages", json={"client_id": "flood-0000001",
                                                 "text": "i want to die"}).json()
    assert crisis["messages"][0]["custom"]["crisis"] is True


def test_logs_are_json_lines_without_message_text(client, caplog):
    import json as _json
    import logging

    from api.logs import JsonFormatter

    assert isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    caplog.set_level("INFO")
    client.post("/chat/messages", json={"client_id": "logcheck-0001", "text": "i want to die"})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert any("crisis net matched" in line for line in lines)
    for line in lines:
        entry = _json.loads(line)
        assert {"ts", "level", "logger", "msg"} <= set(entry)
        assert "want to die" not in line and "logcheck-0001" not in line
