//! A type-erased proptest strategy whose value trees are `Send`, so a tree
//! can live across `.await` in a spawned task (proptest's own boxed
//! strategies erase trees to non-`Send` boxes).

use std::fmt;
use std::sync::Arc;

use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// A boxed value tree that can cross threads.
pub(crate) type Tree<T> = Box<dyn ValueTree<Value = T> + Send + Sync>;

trait Erase<T>: Send + Sync {
    fn tree(&self, runner: &mut TestRunner) -> Result<Tree<T>, proptest::test_runner::Reason>;
}

impl<S> Erase<S::Value> for S
where
    S: Strategy + Send + Sync,
    S::Tree: Send + Sync + 'static,
{
    fn tree(
        &self,
        runner: &mut TestRunner,
    ) -> Result<Tree<S::Value>, proptest::test_runner::Reason> {
        Ok(Box::new(self.new_tree(runner)?))
    }
}

/// See the module documentation.
pub(crate) struct Erased<T>(Arc<dyn Erase<T>>);

impl<T> Clone for Erased<T> {
    fn clone(&self) -> Self {
        Erased(self.0.clone())
    }
}

impl<T> fmt::Debug for Erased<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Erased")
    }
}

impl<T: fmt::Debug> Strategy for Erased<T> {
    type Tree = Tree<T>;
    type Value = T;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        self.0.tree(runner)
    }
}

/// Erases `s`.
pub(crate) fn erase<S>(s: S) -> Erased<S::Value>
where
    S: Strategy + Send + Sync + 'static,
    S::Tree: Send + Sync + 'static,
{
    Erased(Arc::new(s))
}

/// `.erased()` on any strategy with `Send` trees.
pub(crate) trait EraseExt: Strategy + Sized + Send + Sync + 'static
where
    Self::Tree: Send + Sync + 'static,
{
    fn erased(self) -> Erased<Self::Value> {
        erase(self)
    }
}

impl<S> EraseExt for S
where
    S: Strategy + Send + Sync + 'static,
    S::Tree: Send + Sync + 'static,
{
}
