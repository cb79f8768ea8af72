//! Stateful CRUD for any document (no `x-decoy-*` hints): what clients
//! create, change and delete stays, over real sockets, on a REST shape of
//! our own (`specs/shapes/library.openapi.yaml`) and on real documents.

use decoy_mock::MockServer;
use decoy_spec::Spec;
use decoy_validate::Validators;
use serde_json::{Value, json};

use crate::mock::send;
use crate::util::http::Reply;
use crate::util::{root, wild_dir};

const JSON: (&str, &str) = ("Content-Type", "application/json");
const AUTH: (&str, &str) = ("Authorization", "Bearer t");

pub(crate) fn library() -> Spec {
    Spec::load(&root().join("specs/shapes/library.openapi.yaml")).unwrap()
}

pub(crate) async fn call(
    server: &MockServer,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let text = body.map(|b| b.to_string());
    let headers: &[(&str, &str)] = if text.is_some() {
        &[AUTH, JSON]
    } else {
        &[AUTH]
    };
    send(server, method, path, headers, text.as_deref()).await
}

/// The body validates against the schema documented for its status.
fn documented(spec: &Spec, validators: &Validators, method: &str, path: &str, reply: &Reply) {
    let decoy_spec::RouteMatch::Found { operation, .. } = spec.router().find(method, path) else {
        panic!("{method} {path}: no route");
    };
    let op = &spec.operations()[operation];
    let response = op
        .response(reply.status)
        .unwrap_or_else(|| panic!("{method} {path}: {} is undocumented", reply.status));
    if let Some(schema) = response
        .content
        .iter()
        .find(|m| m.is_json())
        .and_then(|m| m.schema.as_deref())
    {
        let v = validators.compile(schema).unwrap().validate(&reply.json());
        assert!(v.is_empty(), "{method} {path} {}: {v:#?}", reply.status);
    }
}

#[tokio::test]
async fn nested_collections_round_trip() {
    let server = MockServer::start(library()).await;
    nested_round_trip(&server).await;
}

/// Create, read, list, update, nested PUT-to-create, delete and reset on
/// a server of the library document (in memory here; on Redis in `redis`).
pub(crate) async fn nested_round_trip(server: &MockServer) {
    let spec = library();
    let validators = Validators::new(&spec);
    let check = |m: &str, p: &str, r: &Reply| documented(&spec, &validators, m, p, r);

    // Create: the request's values come back, with an id of the schema's type.
    let created = call(
        server,
        "POST",
        "/libraries",
        Some(json!({"name": "Stadtbibliothek", "city": "Bern"})),
    )
    .await;
    assert_eq!(created.status, 201);
    check("POST", "/libraries", &created);
    let lib = created.json();
    assert_eq!(
        (lib["name"].as_str(), lib["city"].as_str()),
        (Some("Stadtbibliothek"), Some("Bern"))
    );
    let id = lib["id"].as_i64().expect("an integer id");

    // Read it back, the same.
    let path = format!("/libraries/{id}");
    let read = call(server, "GET", &path, None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), lib);

    // A second create gets another id.
    let other = call(
        server,
        "POST",
        "/libraries",
        Some(json!({"name": "Kornhaus", "city": "Zug"})),
    )
    .await
    .json();
    assert_ne!(other["id"], lib["id"]);

    // The list shows both; a filter on an item field narrows it; limit cuts.
    let list = call(server, "GET", "/libraries?city=Bern", None).await;
    assert_eq!(list.status, 200);
    check("GET", "/libraries", &list);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert!(items.iter().any(|i| i["id"] == lib["id"]), "{items:#?}");
    assert!(items.iter().all(|i| i["city"] == "Bern"), "{items:#?}");
    let all = call(server, "GET", "/libraries?limit=100", None)
        .await
        .json();
    let ids: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert!(
        ids.contains(&&lib["id"]) && ids.contains(&&other["id"]),
        "{ids:?}"
    );
    let one = call(server, "GET", "/libraries?limit=1", None).await.json();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);

    // PATCH merges; the change is visible on the next read; null removes.
    let patched = call(
        server,
        "PATCH",
        &path,
        Some(json!({"name": "Zentralbibliothek", "opens_at": null})),
    )
    .await;
    assert_eq!(patched.status, 200);
    check("PATCH", &path, &patched);
    let now = call(server, "GET", &path, None).await.json();
    assert_eq!(now["name"], "Zentralbibliothek");
    assert_eq!(now["city"], "Bern");
    assert!(now.get("opens_at").is_none(), "{now}");

    // PUT creates a shelf at the code the client chose, below the library.
    let shelf_path = format!("{path}/shelves/A01");
    let put = call(
        server,
        "PUT",
        &shelf_path,
        Some(json!({"topic": "Alpine history", "capacity": 120})),
    )
    .await;
    assert_eq!(put.status, 200);
    check("PUT", &shelf_path, &put);
    let shelf = call(server, "GET", &shelf_path, None).await.json();
    assert_eq!(
        (
            shelf["code"].as_str(),
            shelf["topic"].as_str(),
            shelf["capacity"].as_i64()
        ),
        (Some("A01"), Some("Alpine history"), Some(120))
    );
    let shelves = call(server, "GET", &format!("{path}/shelves"), None)
        .await
        .json();
    assert!(
        shelves
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "A01"),
        "{shelves}"
    );

    // DELETE removes the shelf, then the library and what is below it.
    assert_eq!(call(server, "DELETE", &shelf_path, None).await.status, 204);
    assert_eq!(call(server, "GET", &shelf_path, None).await.status, 404);
    let shelves = call(server, "GET", &format!("{path}/shelves"), None)
        .await
        .json();
    assert!(
        !shelves
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "A01"),
        "{shelves}"
    );
    assert_eq!(
        call(server, "PUT", &shelf_path, Some(json!({"topic": "Maps"})))
            .await
            .status,
        200
    );
    assert_eq!(call(server, "DELETE", &path, None).await.status, 204);
    let gone = call(server, "GET", &path, None).await;
    assert_eq!(gone.status, 404);
    check("GET", &path, &gone);
    assert_eq!(call(server, "GET", &shelf_path, None).await.status, 404);
    let list = call(server, "GET", "/libraries?limit=100", None)
        .await
        .json();
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == lib["id"])
    );

    // Ids no client created still answer with data a frontend can show.
    assert_eq!(
        call(server, "GET", "/libraries/424242", None).await.status,
        200
    );

    // Reset forgets it all.
    assert_eq!(
        send(server, "POST", "/__decoy/reset", &[], None)
            .await
            .status,
        204
    );
    assert_eq!(call(server, "GET", &path, None).await.status, 200);
}

#[tokio::test]
async fn strict_ids_and_stateless() {
    let strict = MockServer::builder()
        .strict_ids(true)
        .start(library())
        .await
        .unwrap();
    assert_eq!(
        call(&strict, "GET", "/libraries/424242", None).await.status,
        404
    );
    assert_eq!(
        call(
            &strict,
            "PATCH",
            "/libraries/424242",
            Some(json!({"name": "x"}))
        )
        .await
        .status,
        404
    );
    let made = call(
        &strict,
        "POST",
        "/libraries",
        Some(json!({"name": "A", "city": "B"})),
    )
    .await
    .json();
    let path = format!("/libraries/{}", made["id"]);
    assert_eq!(call(&strict, "GET", &path, None).await.status, 200);

    let pure = MockServer::builder()
        .stateless(true)
        .start(library())
        .await
        .unwrap();
    let a = call(&pure, "GET", "/libraries/7", None).await.json();
    assert_eq!(
        call(&pure, "DELETE", "/libraries/7", None).await.status,
        204
    );
    assert_eq!(call(&pure, "GET", "/libraries/7", None).await.json(), a);
}

/// One CRUD round trip on a real document: create (body from its request
/// schema), read back, update where it can, list, delete, read again.
struct Round<'a> {
    doc: &'a str,
    create: (&'a str, Value),
    item: &'a str,
    id_field: &'a str,
    update: Option<(&'a str, Value, &'a str)>,
    list: Option<(&'a str, &'a str)>,
}

async fn round_trip(r: Round<'_>) {
    let spec = Spec::load(&wild_dir().join(r.doc)).unwrap();
    let validators = Validators::new(&spec);
    let server = MockServer::start(spec.clone()).await;
    let created = call(&server, "POST", r.create.0, Some(r.create.1.clone())).await;
    assert!(
        created.status / 100 == 2,
        "{}: create {}: {}",
        r.doc,
        created.status,
        String::from_utf8_lossy(&created.body)
    );
    documented(&spec, &validators, "POST", r.create.0, &created);
    let made = created.json();
    let id = match &made[r.id_field] {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    for (k, v) in r.create.1.as_object().unwrap() {
        if made.get(k).is_some() && k != r.id_field {
            assert_eq!(&made[k], v, "{}: {k} echoed", r.doc);
        }
    }
    let item = r.item.replace("{}", &id);
    let read = call(&server, "GET", &item, None).await;
    assert_eq!(read.status, 200, "{}", r.doc);
    assert_eq!(read.json(), made, "{}: read back", r.doc);
    if let Some((method, patch, field)) = &r.update {
        let updated = call(&server, method, &item, Some(patch.clone())).await;
        assert!(
            updated.status / 100 == 2,
            "{}: {method} {}",
            r.doc,
            updated.status
        );
        let now = call(&server, "GET", &item, None).await.json();
        assert_eq!(now[field], patch[field], "{}: update visible", r.doc);
    }
    if let Some((list, array)) = r.list {
        let listed = call(&server, "GET", list, None).await;
        assert_eq!(listed.status, 200);
        documented(&spec, &validators, "GET", list, &listed);
        let v = listed.json();
        let items = v
            .pointer(array)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{}: {v}", r.doc));
        assert!(
            items.iter().any(|i| i[r.id_field] == made[r.id_field]),
            "{}: created one listed",
            r.doc
        );
    }
    let deleted = call(&server, "DELETE", &item, None).await;
    assert!(
        deleted.status / 100 == 2,
        "{}: delete {}",
        r.doc,
        deleted.status
    );
    assert_eq!(
        call(&server, "GET", &item, None).await.status,
        404,
        "{}: deleted",
        r.doc
    );
}

#[tokio::test]
async fn real_documents_keep_what_clients_create() {
    round_trip(Round {
        doc: "swaggerapi-petstore3.yaml",
        create: ("/api/v3/pet", json!({"name": "Rex", "photoUrls": ["https://example.com/rex.jpg"], "status": "available"})),
        item: "/api/v3/pet/{}",
        id_field: "id",
        update: None,
        list: Some(("/api/v3/pet/findByStatus?status=available", "")),
    })
    .await;
    round_trip(Round {
        doc: "oai-petstore-expanded.yaml",
        create: ("/v2/pets", json!({"name": "Mia", "tag": "cat"})),
        item: "/v2/pets/{}",
        id_field: "id",
        update: None,
        list: Some(("/v2/pets", "")),
    })
    .await;
    round_trip(Round {
        doc: "vapi-api.json",
        create: ("/assistant", json!({"name": "Front desk"})),
        item: "/assistant/{}",
        id_field: "id",
        update: Some(("PATCH", json!({"name": "Night desk"}), "name")),
        list: Some(("/assistant", "")),
    })
    .await;
}

/// A create that may answer another shape than a member (a `oneOf` of the
/// resource and a stream event, as vapi's `POST /chat`): what it stored is
/// read back through the read's own schema, and still validates; the
/// listing shows every member.
#[tokio::test]
async fn a_stored_member_of_another_shape_reads_back_valid() {
    let doc = r##"
openapi: 3.1.0
info: {title: Chats, version: "1"}
paths:
  /chats:
    get:
      operationId: listChats
      responses:
        "200":
          description: the chats
          content:
            application/json:
              schema:
                type: object
                required: [data]
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Chat"}}
    post:
      operationId: createChat
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {input: {type: string}}}
      responses:
        "201":
          description: the chat, or its first stream event
          content:
            application/json:
              schema:
                oneOf:
                  - $ref: "#/components/schemas/Chat"
                  - $ref: "#/components/schemas/Event"
  /chats/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getChat
      responses:
        "200":
          description: the chat
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Chat"}
components:
  schemas:
    Chat:
      type: object
      required: [id, orgId, createdAt]
      properties:
        id: {type: string}
        orgId: {type: string}
        createdAt: {type: string, format: date-time}
        input: {type: string}
    Event:
      type: object
      required: [id, path, delta]
      additionalProperties: false
      properties:
        id: {type: string}
        path: {type: string}
        delta: {type: string}
"##;
    let spec = Spec::parse(doc, "chats.yaml").unwrap();
    let validators = Validators::new(&spec);
    let server = MockServer::builder()
        .seed(4)
        .start(spec.clone())
        .await
        .unwrap();
    let mut events = 0;
    let mut created_ids = Vec::new();
    for i in 0..40 {
        let input = format!("hello {i}");
        let created = call(&server, "POST", "/chats", Some(json!({"input": input}))).await;
        assert_eq!(created.status, 201);
        let created = created.json();
        let id = created["id"].as_str().unwrap().to_owned();
        created_ids.push(id.clone());
        let read = call(&server, "GET", &format!("/chats/{id}"), None).await;
        assert_eq!(read.status, 200);
        documented(&spec, &validators, "GET", &format!("/chats/{id}"), &read);
        assert_eq!(read.json()["id"], id.as_str());
        if created.get("delta").is_some() {
            events += 1;
        } else {
            // A member is read back as it was created.
            assert_eq!(read.json(), created);
        }
    }
    assert!(
        events > 0,
        "seed 4 never answered an event; pick another seed"
    );
    // The listing validates and shows every member, odd ones as chats.
    let listed = call(&server, "GET", "/chats", None).await;
    documented(&spec, &validators, "GET", "/chats", &listed);
    let ids: Vec<String> = listed.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &created_ids {
        assert!(ids.contains(id), "{id} is not listed: {ids:?}");
    }
}
