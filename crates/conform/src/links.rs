//! Which operation's output feeds which one's input, read from the
//! document's behaviour model ([`decoy_spec::model`]), which the mock obeys
//! too: the same guards, the same collections, the same listings.

use decoy_spec::Spec;
pub(crate) use decoy_spec::model::{Guard, Kind};

/// An operation that creates resources others act on.
#[derive(Debug, Clone)]
pub(crate) struct Creator {
    pub(crate) op: usize,
    /// Operations that take the created id, and as which path parameter.
    pub(crate) targets: Vec<Target>,
    /// Where created resources are listed.
    pub(crate) listing: Option<Listing>,
    /// The response field holding a member's id (`id` when the model has
    /// none).
    pub(crate) id_field: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) op: usize,
    pub(crate) param: String,
    /// When the action is allowed; otherwise it must be refused.
    pub(crate) guard: Guard,
    /// A response field holding a further resource the action started
    /// (`next_transfer`).
    pub(crate) spawns: Option<String>,
    /// What the operation does to the resource (read, update, delete,
    /// action): the model-driven chain orders its steps by it.
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) op: usize,
    /// Pointer to the array in the listing's 2xx body (`/transfers`, or ``).
    pub(crate) array: String,
}

/// One creator per operation that creates members of a resource.
pub(crate) fn infer(spec: &Spec) -> Vec<Creator> {
    let mut creators = Vec::new();
    for r in spec.model().resources() {
        let targets: Vec<Target> = r
            .acts
            .iter()
            .map(|a| Target {
                op: a.op.index(),
                param: a.param.clone(),
                guard: a.guard.clone(),
                spawns: a.spawns.clone(),
                kind: role(spec, r, a),
            })
            .collect();
        let listing = r.listing.as_ref().map(|l| Listing {
            op: l.op.index(),
            array: l.array.clone(),
        });
        for c in &r.creates {
            creators.push(Creator {
                op: c.index(),
                targets: targets.clone(),
                listing: listing.clone(),
                id_field: r.id_field.clone().unwrap_or_else(|| "id".to_owned()),
            });
        }
    }
    creators
}

/// What `a` does to a member of `r`: the operation's own kind where its
/// path ends at the member (`/libraries/{libraryId}`), else a read of or an
/// action on something the member holds (`/libraries/{libraryId}/shelves`).
fn role(spec: &Spec, r: &decoy_spec::model::Resource, a: &decoy_spec::model::Act) -> Kind {
    let op = &spec.operations()[a.op.index()];
    let own = r.id_param.as_deref() == Some(a.param.as_str())
        && op.path.ends_with(&format!("{{{}}}", a.param));
    if own {
        spec.model().operation(a.op).kind
    } else if op.method.eq_ignore_ascii_case("get") {
        Kind::Related
    } else {
        Kind::Action
    }
}
