//! Word lists both realism and formats draw from (an email is made of a
//! person's name): one place, so neither depends on the other.

use fake::locales::{Data, EN};

use crate::{Rng, draw};

/// One item, uniformly.
pub(crate) fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    draw::item(rng, items)
}

pub(crate) fn first_name(rng: &mut Rng) -> &'static str {
    pick(rng, EN::NAME_FIRST_NAME)
}

pub(crate) fn last_name(rng: &mut Rng) -> &'static str {
    pick(rng, EN::NAME_LAST_NAME)
}
