//! proptest strategies over schemas.
//!
//! A value tree holds a seed and a simplicity level, and re-generates the
//! value at each level: optional properties dropped, then arrays at their
//! minimum, then the simplest scalars. Every candidate comes out of the valid
//! generator, so shrinking never leaves the schema.

use std::fmt;

use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use rand::Rng as _;
use serde_json::Value;

use crate::produce::Simplicity;
use crate::{Invalid, InvalidKind, Plan};

const MAX_LEVEL: u8 = 3;

/// Values valid for a schema; see [`Plan::strategy`].
#[derive(Clone)]
pub struct ValueStrategy {
    pub(crate) plan: Plan,
}

impl fmt::Debug for ValueStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueStrategy")
            .field("pointer", &self.plan.pointer())
            .finish()
    }
}

/// The value tree of [`ValueStrategy`].
#[derive(Debug, Clone)]
pub struct SchemaValueTree {
    plan: Plan,
    seed: u64,
    level: u8,
    current: Value,
    previous: Option<(u8, Value)>,
    stuck: bool,
}

impl SchemaValueTree {
    /// The seed this tree generates from (print it to reproduce a case).
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl Strategy for ValueStrategy {
    type Tree = SchemaValueTree;
    type Value = Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let mut last = String::new();
        for _ in 0..8 {
            let seed = runner.rng().next_u64();
            match self.plan.generate_at(seed, Simplicity(0), false, &[]) {
                Ok(current) => {
                    return Ok(SchemaValueTree {
                        plan: self.plan.clone(),
                        seed,
                        level: 0,
                        current,
                        previous: None,
                        stuck: false,
                    });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(last.into())
    }
}

impl ValueTree for SchemaValueTree {
    type Value = Value;

    fn current(&self) -> Value {
        self.current.clone()
    }

    fn simplify(&mut self) -> bool {
        if self.stuck {
            return false;
        }
        while self.level < MAX_LEVEL {
            self.level += 1;
            if let Ok(v) = self
                .plan
                .generate_at(self.seed, Simplicity(self.level), false, &[])
                && v != self.current
            {
                let old = std::mem::replace(&mut self.current, v);
                self.previous = Some((self.level, old));
                return true;
            }
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.previous.take() {
            Some((_, old)) => {
                // The simpler value passed: go back, and stop simplifying
                // (the levels are a line, there is nothing in between).
                self.current = old;
                self.stuck = true;
                true
            }
            None => false,
        }
    }
}

/// Labelled invalid values for a schema; see [`Plan::invalid_strategy`].
#[derive(Clone)]
pub struct InvalidStrategy {
    pub(crate) plan: Plan,
    pub(crate) kind: Option<InvalidKind>,
}

impl fmt::Debug for InvalidStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidStrategy")
            .field("pointer", &self.plan.pointer())
            .field("kind", &self.kind)
            .finish()
    }
}

/// The value tree of [`InvalidStrategy`]: shrinking keeps the kind.
#[derive(Debug, Clone)]
pub struct InvalidValueTree {
    plan: Plan,
    seed: u64,
    level: u8,
    current: Invalid,
    previous: Option<Invalid>,
    stuck: bool,
}

impl InvalidValueTree {
    /// The seed this tree generates from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl Strategy for InvalidStrategy {
    type Tree = InvalidValueTree;
    type Value = Invalid;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        for _ in 0..16 {
            let seed = runner.rng().next_u64();
            match self.plan.invalid_at(seed, Simplicity(0), self.kind) {
                Ok(Some(current)) => {
                    return Ok(InvalidValueTree {
                        plan: self.plan.clone(),
                        seed,
                        level: 0,
                        current,
                        previous: None,
                        stuck: false,
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(e.to_string().into()),
            }
        }
        Err(format!(
            "{}: no invalid value of the requested kind",
            self.plan.pointer()
        )
        .into())
    }
}

impl ValueTree for InvalidValueTree {
    type Value = Invalid;

    fn current(&self) -> Invalid {
        self.current.clone()
    }

    fn simplify(&mut self) -> bool {
        if self.stuck {
            return false;
        }
        while self.level < MAX_LEVEL {
            self.level += 1;
            if let Ok(Some(v)) =
                self.plan
                    .invalid_at(self.seed, Simplicity(self.level), Some(self.current.kind))
                && v != self.current
            {
                self.previous = Some(std::mem::replace(&mut self.current, v));
                return true;
            }
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.previous.take() {
            Some(old) => {
                self.current = old;
                self.stuck = true;
                true
            }
            None => false,
        }
    }
}
