//! Typed state given to the builder and injected into checks.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A shared handle to a state value of type `T`, as given to
/// [`ReadinessBuilder::state`](crate::ReadinessBuilder::state).
///
/// `#[check]` functions take their arguments as `State<T>`; it dereferences to `T`.
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// The shared value.
    pub fn into_inner(self) -> Arc<T> {
        self.0
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

/// No state value of the requested type was given to the builder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no state of type `{type_name}` was given to Readiness::builder().state(..)")]
#[non_exhaustive]
pub struct MissingState {
    /// The full name of the missing type.
    pub type_name: &'static str,
}

/// Values keyed by their type.
#[derive(Default)]
pub(crate) struct StateMap {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    names: Vec<&'static str>,
}

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        if self.values.insert(TypeId::of::<T>(), Arc::new(value)).is_none() {
            self.names.push(type_name::<T>());
        }
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Result<State<T>, MissingState> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| Arc::clone(value).downcast::<T>().ok())
            .map(State)
            .ok_or(MissingState { type_name: type_name::<T>() })
    }
}

impl fmt::Debug for StateMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only type names: state values may hold secrets.
        f.debug_set().entries(&self.names).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_of_the_type_and_names_a_missing_one() {
        let mut map = StateMap::default();
        map.insert(41_u32);
        map.insert(42_u32);
        assert_eq!(*map.get::<u32>().unwrap(), 42);
        let missing = map.get::<String>().unwrap_err();
        assert!(missing.to_string().contains("alloc::string::String"), "{missing}");
        assert_eq!(format!("{map:?}"), r#"{"u32"}"#);
    }
}
