//! The behaviour model: what the document says, or lets decoy infer, about
//! how its API behaves. Built once at load; every other crate reads it
//! instead of the raw document.
//!
//! - [`Rules`]: each operation's `x-decoy-*` extensions, typed.
//! - [`Resource`]s: collections whose members are created, read, listed,
//!   changed and deleted, with the path parameter that names a member.
//! - [`Kind`]: each operation's role for its resource.
//! - [`Guard`]s: when an action is allowed (an `x-decoy-state` `when`, or
//!   a finished `status`), the same rule for the mock and the runner.
//! - [`Link`]s: which response value feeds which parameter (OpenAPI `links`).
//!
//! Standard OpenAPI comes first (paths, methods, schemas, `links`); an
//! `x-decoy-*` extension overrides or adds. `decoy routes --model` prints
//! what was inferred, so a user can see it and correct it in the document.
//!
//! ```
//! use decoy_spec::{Spec, model::Kind};
//!
//! let spec = Spec::parse(r##"
//! openapi: 3.1.0
//! info: {title: Pets, version: "1"}
//! paths:
//!   /pets:
//!     post:
//!       responses: {"201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}}
//!   /pets/{petId}:
//!     get:
//!       parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
//!       responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}}
//! components:
//!   schemas:
//!     Pet: {type: object, properties: {id: {type: integer}, name: {type: string}}}
//! "##, "pets.yaml")?;
//! let model = spec.model();
//! let pets = &model.resources()[0];
//! assert_eq!(pets.collection, "/pets");
//! assert_eq!(pets.id_param.as_deref(), Some("petId"));
//! let read = spec.op_ids().nth(1).unwrap();
//! assert_eq!(model.operation(read).kind, Kind::Read);
//! # Ok::<(), decoy_spec::SpecError>(())
//! ```

pub(crate) mod extensions;
mod infer;
mod render;

use serde_json::Value;

use crate::index::OpId;

pub use extensions::{
    Create, Echo, Fallback, Faults, List, Next, Rules, Set, Source, Template, Transition,
};
pub use infer::TERMINAL_STATES;

/// What decoy knows about the behaviour of a document's operations.
#[derive(Debug, Clone, Default)]
pub struct Model {
    operations: Vec<OperationModel>,
    resources: Vec<Resource>,
    links: Vec<Link>,
}

/// One operation's behaviour.
#[derive(Debug, Clone, Default)]
pub struct OperationModel {
    /// Its `x-decoy-*` extensions (empty where it has none, or where one
    /// was malformed: that is a [`crate::Problem`] of the document).
    pub rules: Rules,
    /// Its role for its resource.
    pub kind: Kind,
    /// The resource it creates or acts on (index into [`Model::resources`]).
    pub resource: Option<usize>,
    /// The operation whose body is this one's context (sub-resources agree
    /// with it): `x-decoy-parent`, else the `GET` on the longest path prefix.
    pub parent: Option<OpId>,
}

/// An operation's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Adds a member to a collection (`POST /pets`).
    Create,
    /// Reads one member (`GET /pets/{petId}`).
    Read,
    /// Lists a collection (`GET /pets`).
    List,
    /// Replaces or changes a member (`PUT`/`PATCH /pets/{petId}`).
    Update,
    /// Removes a member (`DELETE /pets/{petId}`).
    Delete,
    /// Does something to a member (`POST /pets/{petId}/adopt`).
    Action,
    /// Reads something that belongs to a member (`GET /pets/{petId}/photos`).
    Related,
    /// None of these, as far as decoy can tell.
    #[default]
    Other,
}

impl Kind {
    /// Lower-case name, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Read => "read",
            Kind::List => "list",
            Kind::Update => "update",
            Kind::Delete => "delete",
            Kind::Action => "action",
            Kind::Related => "related",
            Kind::Other => "other",
        }
    }
}

/// A collection of like resources.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The collection's path template (`/pets`, `/owners/{ownerId}/pets`).
    pub collection: String,
    /// The path parameter naming one member (`petId`), where an operation
    /// addresses members.
    pub id_param: Option<String>,
    /// The member schema's property holding the id (`id`), where it has one.
    pub id_field: Option<String>,
    /// Pointer to the member schema (a create's 2xx JSON body).
    pub schema: Option<String>,
    /// Operations that create members.
    pub creates: Vec<OpId>,
    /// Where members are listed.
    pub listing: Option<Listing>,
    /// Operations that take a member's id.
    pub acts: Vec<Act>,
    /// The member's lifecycle, where its schema has one.
    pub lifecycle: Option<Lifecycle>,
    /// Whether an `x-decoy-state` hint named the collection.
    pub hinted: bool,
}

/// Where a collection's members are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The listing operation.
    pub op: OpId,
    /// Pointer to the array in its 2xx body (`/items`, or `` for the body).
    pub array: String,
}

/// An operation that takes a member's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Act {
    /// The operation.
    pub op: OpId,
    /// The path parameter that carries the id.
    pub param: String,
    /// When the operation is allowed.
    pub guard: Guard,
    /// A response field holding a further resource the action started.
    pub spawns: Option<String>,
}

/// When an action on a resource is allowed.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// `x-decoy-state.transition.when`: allowed values per field (a name, or
    /// a pointer when it starts with `/`). A missing field is `null`.
    When(Vec<(String, Vec<Value>)>),
    /// Inferred: refused once `field` holds one of these finished states.
    Terminal {
        /// The status field.
        field: String,
        /// Its finished states.
        states: Vec<String>,
    },
    /// Always allowed, as far as the document says.
    Always,
}

impl Guard {
    /// `Some(reason)` when the action must be refused on `resource`: the
    /// rule the mock enforces with 409 and the runner checks.
    ///
    /// ```
    /// use decoy_spec::model::Guard;
    /// use serde_json::json;
    /// let g = Guard::When(vec![("status".into(), vec![json!("open")])]);
    /// assert!(g.forbids(&json!({"status": "open"})).is_none());
    /// assert!(g.forbids(&json!({"status": "closed"})).is_some());
    /// assert!(g.forbids(&json!({})).is_some());
    /// ```
    pub fn forbids(&self, resource: &Value) -> Option<String> {
        match self {
            Guard::When(fields) => fields.iter().find_map(|(field, allowed)| {
                let have = if field.starts_with('/') {
                    resource.pointer(field)
                } else {
                    resource.get(field)
                };
                let have = have.cloned().unwrap_or(Value::Null);
                (!allowed.contains(&have)).then(|| {
                    let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
                    format!(
                        "its {field} is {have}, and the document allows the action only when \
                         {field} is one of {}",
                        allowed.join(", ")
                    )
                })
            }),
            Guard::Terminal { field, states } => {
                let s = resource.get(field)?.as_str()?;
                states
                    .iter()
                    .any(|t| t == s)
                    .then(|| format!("its {field} is \"{s}\", a finished state"))
            }
            Guard::Always => None,
        }
    }
}

/// A resource's states, from its schema's status enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// The field holding the state (`status`).
    pub field: String,
    /// Every state the schema allows.
    pub states: Vec<String>,
    /// The finished ones.
    pub terminal: Vec<String>,
}

/// A response value that feeds another operation's parameter (OpenAPI
/// `links`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The operation whose response holds the value.
    pub from: OpId,
    /// The documented status of that response.
    pub status: String,
    /// The operation that takes it.
    pub to: OpId,
    /// The parameter (`petId`, or `path.petId`).
    pub parameter: String,
    /// The runtime expression (`$response.body#/id`).
    pub expression: String,
}

impl Model {
    /// Every operation's behaviour, indexed by [`OpId`].
    pub fn operation(&self, id: OpId) -> &OperationModel {
        &self.operations[id.index()]
    }

    /// The resources, in the order their first operation appears.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The document's OpenAPI links.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The resource an operation creates or acts on.
    pub fn resource_of(&self, id: OpId) -> Option<&Resource> {
        self.operation(id).resource.map(|r| &self.resources[r])
    }
}

pub(crate) use infer::build;
pub use render::render;
