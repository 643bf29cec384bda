def test_register_login_me(client):
    r = client.post("/api/register", json={"email": "A@x.com", "username": "alice", "password": "secret123"})
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/login", json={"email": "a@x.com", "password": "secret123"})
    assert r.status_code == 200, r.get_json()
    token = r.get_json()["access_token"]
    r = client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_json()
    print(r.get_json())
