//! Resource body values: JSON plus references and secrets.

use std::fmt;

use indexmap::IndexMap;
use secrecy::{ExposeSecret, SecretString};

use crate::kind::Address;
use crate::lookup::Lookup;
use crate::path::{FieldPath, Segment};

/// The mask integrator.io returns in place of a write-only (secret) value: the usual form.
/// Other runs of asterisks are masks too (see [`is_mask_text`]).
pub const MASK: &str = "******";

/// The fewest asterisks flowform reads as a mask.
pub const MASK_MIN_LENGTH: usize = 3;

/// Whether `text` is a mask: a run of at least [`MASK_MIN_LENGTH`] asterisks and nothing else.
/// The service returns secrets as `******` and captured webhook header values as `****`
/// (`shared/reference/service-behaviours.md` §3); Celigo's iClient schema shows `****` too. A
/// mask is never a value to compare or to write back.
pub fn is_mask_text(text: &str) -> bool {
    text.len() >= MASK_MIN_LENGTH && text.bytes().all(|byte| byte == b'*')
}

/// An object: keys in the order they were written. Equality ignores order.
pub type Object = IndexMap<String, Value, KeyHasher>;

/// How an [`Object`]'s keys are hashed: foldhash with a fixed seed, and no state in the map.
/// Every member lookup of every document hashes its key, and a plan of 10,000 resources makes
/// millions of them, so SipHash (the default) showed in profiles; a key comes from a spec or
/// from the account, not from an attacker who could choose colliding keys. Holding no state, it
/// also keeps every object (and so every [`Value`]) 16 bytes smaller than with the default
/// `RandomState`, which counts in a state of 10,000 documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyHasher;

impl std::hash::BuildHasher for KeyHasher {
    type Hasher = foldhash::fast::FoldHasher<'static>;

    fn build_hasher(&self) -> Self::Hasher {
        std::hash::BuildHasher::build_hasher(&foldhash::fast::FixedState::default())
    }
}

/// A `HashMap` hashed like an [`Object`]'s keys ([`KeyHasher`]): for the maps a spec load, a
/// plan or an apply fills and reads per resource or per field, where SipHash showed in profiles.
pub type KeyHashMap<K, V> = std::collections::HashMap<K, V, KeyHasher>;

/// A `HashSet` hashed with [`KeyHasher`] (see [`KeyHashMap`]).
pub type KeyHashSet<T> = std::collections::HashSet<T, KeyHasher>;

/// A value inside a resource body.
///
/// Desired bodies (from the spec) may hold [`Value::Ref`] and [`Value::Secret`]; live bodies
/// (from the API) are plain JSON until the diff maps managed ids back to references.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, kept exactly as JSON wrote it.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Object),
    /// `${KIND.KEY}`: the `_id` of another managed resource.
    Ref(Address),
    /// An id only the account knows: a `data:` lookup's find, or a flow group by name.
    Lookup(Lookup),
    /// A string that holds a secret (`${secret.NAME}`, possibly inside a longer string).
    Secret(SecretValue),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(value) => write!(f, "{value}"),
            Value::Number(value) => write!(f, "{value}"),
            Value::String(value) => write!(f, "{value:?}"),
            Value::Array(items) => f.debug_list().entries(items).finish(),
            Value::Object(object) => f.debug_map().entries(object.iter()).finish(),
            Value::Ref(address) => write!(f, "${{{address}}}"),
            Value::Lookup(lookup) => write!(f, "{lookup}"),
            Value::Secret(secret) => write!(f, "{secret:?}"),
        }
    }
}

/// A secret string value. Its `Debug` output never shows the value.
#[derive(Clone)]
pub struct SecretValue {
    /// The names of the secrets (environment variables) the value was built from.
    pub names: Vec<String>,
    /// The resolved value; `None` when a secret was not available (offline `validate`).
    value: Option<SecretString>,
}

impl SecretValue {
    /// A resolved secret.
    pub fn new(names: Vec<String>, value: String) -> SecretValue {
        SecretValue { names, value: Some(SecretString::from(value)) }
    }

    /// A secret whose value is not known (its environment variable is unset).
    pub fn unresolved(names: Vec<String>) -> SecretValue {
        SecretValue { names, value: None }
    }

    /// The value, for sending to the API or fingerprinting. Never print it.
    pub fn expose(&self) -> Option<&str> {
        self.value.as_ref().map(|value| value.expose_secret())
    }

    /// Whether the value is known.
    pub fn is_resolved(&self) -> bool {
        self.value.is_some()
    }
}

impl PartialEq for SecretValue {
    fn eq(&self, other: &SecretValue) -> bool {
        self.names == other.names && self.expose() == other.expose()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(sensitive: {})", self.names.join(", "))
    }
}

/// A reference or secret that could not be turned into JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToJsonError {
    /// The referenced resource has no id yet.
    #[error("`{path}` refers to `{address}`, which has no id in the target account")]
    UnresolvedRef {
        /// Where the reference sits.
        path: String,
        /// What it refers to.
        address: Address,
    },
    /// A lookup was not resolved (the executor resolves them before building a body).
    #[error("`{path}` holds {lookup}, which has no id in the target account")]
    UnresolvedLookup {
        /// Where the lookup sits.
        path: String,
        /// The lookup.
        lookup: Lookup,
    },
    /// A secret's value is not known.
    #[error("`{path}` needs secret `{name}`; set the environment variable `{name}`")]
    UnresolvedSecret {
        /// Where the secret sits.
        path: String,
        /// The secret's name.
        name: String,
    },
    /// A secret's value is empty: sending it would erase the credential (an unset variable in
    /// CI often arrives as an empty one).
    #[error(
        "`{path}` would be sent as an empty value: secret `{name}` is set but empty; set the environment variable `{name}` to the credential"
    )]
    EmptySecret {
        /// Where the secret sits.
        path: String,
        /// The secret's name.
        name: String,
    },
}

/// Takes an API document over without copying its strings. Every array and object is rebuilt at
/// its exact size (a parsed document's maps and arrays have grown by doubling), which matters
/// for documents kept for a whole command. No references or secrets appear in the result.
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(value) => Value::Bool(value),
            serde_json::Value::Number(value) => Value::Number(value),
            serde_json::Value::String(value) => Value::String(value),
            serde_json::Value::Array(items) => {
                // Collected in place (the two value types have one size), so the parsed array's
                // spare capacity would stay: give it back.
                let mut items: Vec<Value> = items.into_iter().map(Value::from).collect();
                items.shrink_to_fit();
                Value::Array(items)
            }
            serde_json::Value::Object(object) => Value::Object(
                object.into_iter().map(|(key, value)| (key, Value::from(value))).collect(),
            ),
        }
    }
}

/// Reads API JSON straight into a value, as [`From<serde_json::Value>`] would make it from the
/// parsed JSON, without building the `serde_json::Value` first: a list page of a thousand
/// documents is parsed once, not parsed and then converted (`docs/benchmarks.md`, issue 18).
/// Numbers are kept as `serde_json` keeps them; a repeated key keeps its first place and its
/// last value, as `serde_json`'s own maps do. No references or secrets appear in the result.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(deserializer)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        items.shrink_to_fit();
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // Gathered first, so that the map is built once at its exact size instead of grown by
        // doubling and shrunk (which rehashes) afterwards.
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(entry) = map.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(Value::Object(entries.into_iter().collect()))
    }
}

impl Value {
    /// Builds a value from API JSON. No references or secrets appear in the result.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(value) => Value::Bool(*value),
            serde_json::Value::Number(value) => Value::Number(value.clone()),
            serde_json::Value::String(value) => Value::String(value.clone()),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(object) => Value::Object(
                object.iter().map(|(key, value)| (key.clone(), Value::from_json(value))).collect(),
            ),
        }
    }

    /// Converts to API JSON, resolving references with `resolve` (address to `_id`) and
    /// exposing secrets. Fails on the first reference or secret that cannot be resolved.
    pub fn to_json(
        &self,
        resolve: &dyn Fn(&Address) -> Option<String>,
    ) -> Result<serde_json::Value, ToJsonError> {
        self.to_json_at(&FieldPath::root(), resolve)
    }

    fn to_json_at(
        &self,
        path: &FieldPath,
        resolve: &dyn Fn(&Address) -> Option<String>,
    ) -> Result<serde_json::Value, ToJsonError> {
        Ok(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(value) => serde_json::Value::Bool(*value),
            Value::Number(value) => serde_json::Value::Number(value.clone()),
            Value::String(value) => serde_json::Value::String(value.clone()),
            Value::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| item.to_json_at(&path.index(index), resolve))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(object) => serde_json::Value::Object(
                object
                    .iter()
                    .map(|(key, value)| {
                        Ok((key.clone(), value.to_json_at(&path.key(key), resolve)?))
                    })
                    .collect::<Result<_, ToJsonError>>()?,
            ),
            Value::Ref(address) => match resolve(address) {
                Some(id) => serde_json::Value::String(id),
                None => {
                    return Err(ToJsonError::UnresolvedRef {
                        path: path.to_string(),
                        address: address.clone(),
                    });
                }
            },
            Value::Lookup(lookup) => {
                return Err(ToJsonError::UnresolvedLookup {
                    path: path.to_string(),
                    lookup: lookup.clone(),
                });
            }
            Value::Secret(secret) => match secret.expose() {
                // Never sent: the spec refuses empty secrets, and this is the last line.
                Some("") => {
                    return Err(ToJsonError::EmptySecret {
                        path: path.to_string(),
                        name: secret.names.join("`, `"),
                    });
                }
                Some(value) => serde_json::Value::String(value.to_owned()),
                None => {
                    return Err(ToJsonError::UnresolvedSecret {
                        path: path.to_string(),
                        name: secret.names.first().cloned().unwrap_or_default(),
                    });
                }
            },
        })
    }

    /// The member `key` of an object (`None` for anything else).
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The string, if this is a plain string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(value) => Some(value),
            _ => None,
        }
    }

    /// Whether this value is one of the API's masks (`******`, `****`, …; [`is_mask_text`]).
    pub fn is_mask(&self) -> bool {
        self.as_str().is_some_and(is_mask_text)
    }

    /// Whether this value counts as absent: `null`, or an object whose every member is absent.
    /// Empty arrays are not absent (an empty `pageProcessors` means something).
    pub fn is_absent(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Object(object) => object.values().all(Value::is_absent),
            _ => false,
        }
    }

    /// Whether this value (or anything inside it) is a [`Value::Lookup`].
    pub fn contains_lookup(&self) -> bool {
        match self {
            Value::Lookup(_) => true,
            Value::Array(items) => items.iter().any(Value::contains_lookup),
            Value::Object(object) => object.values().any(Value::contains_lookup),
            _ => false,
        }
    }

    /// Replaces every [`Value::Lookup`] with the id `resolve` gives (a plain string), or fails
    /// at the first one it cannot resolve.
    pub fn resolve_lookups(
        &mut self,
        resolve: &dyn Fn(&Lookup) -> Option<String>,
    ) -> Result<(), ToJsonError> {
        self.resolve_lookups_at(&FieldPath::root(), resolve)
    }

    fn resolve_lookups_at(
        &mut self,
        path: &FieldPath,
        resolve: &dyn Fn(&Lookup) -> Option<String>,
    ) -> Result<(), ToJsonError> {
        match self {
            Value::Lookup(lookup) => match resolve(lookup) {
                Some(id) => *self = Value::String(id),
                None => {
                    return Err(ToJsonError::UnresolvedLookup {
                        path: path.to_string(),
                        lookup: lookup.clone(),
                    });
                }
            },
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    item.resolve_lookups_at(&path.index(index), resolve)?;
                }
            }
            Value::Object(object) => {
                for (key, child) in object.iter_mut() {
                    child.resolve_lookups_at(&path.key(key), resolve)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether this value (or anything inside it) is a secret.
    pub fn contains_secret(&self) -> bool {
        match self {
            Value::Secret(_) => true,
            Value::Array(items) => items.iter().any(Value::contains_secret),
            Value::Object(object) => object.values().any(Value::contains_secret),
            _ => false,
        }
    }

    /// The value at `path`, if present.
    pub fn get(&self, path: &FieldPath) -> Option<&Value> {
        let mut current = self;
        for segment in path.segments() {
            current = match (segment, current) {
                (Segment::Key(key), Value::Object(object)) => object.get(key)?,
                (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
                (Segment::Keyed(keyed), Value::Array(items)) => {
                    &items[keyed_position(items, &keyed.field, &keyed.value)?]
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// Sets the value at `path`, creating objects on the way. Returns false (and changes
    /// nothing) when the path crosses a non-object, or an array index that does not exist.
    pub fn set(&mut self, path: &FieldPath, value: Value) -> bool {
        let Some((last, parents)) = path.segments().split_last() else {
            *self = value;
            return true;
        };
        let mut current = self;
        for segment in parents {
            current = match (segment, current) {
                (Segment::Key(key), Value::Object(object)) => {
                    let child = object
                        .entry(key.clone())
                        .or_insert_with(|| Value::Object(Object::default()));
                    if child.is_absent() && !matches!(child, Value::Object(_)) {
                        *child = Value::Object(Object::default());
                    }
                    child
                }
                (Segment::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                    Some(item) => item,
                    None => return false,
                },
                (Segment::Keyed(keyed), Value::Array(items)) => {
                    match keyed_position(items, &keyed.field, &keyed.value) {
                        Some(position) => &mut items[position],
                        None => return false,
                    }
                }
                _ => return false,
            };
        }
        match (last, current) {
            (Segment::Key(key), Value::Object(object)) => {
                object.insert(key.clone(), value);
                true
            }
            (Segment::Index(index), Value::Array(items)) if *index < items.len() => {
                items[*index] = value;
                true
            }
            (Segment::Keyed(keyed), Value::Array(items)) => {
                match keyed_position(items, &keyed.field, &keyed.value) {
                    Some(position) => {
                        items[position] = value;
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// Removes the value at `path`; returns it if it was there. Objects left empty on the way
    /// are kept (the diff treats them as absent).
    pub fn remove(&mut self, path: &FieldPath) -> Option<Value> {
        let (last, parents) = path.segments().split_last()?;
        let mut current = self;
        for segment in parents {
            current = match (segment, current) {
                (Segment::Key(key), Value::Object(object)) => object.get_mut(key)?,
                (Segment::Index(index), Value::Array(items)) => items.get_mut(*index)?,
                (Segment::Keyed(keyed), Value::Array(items)) => {
                    let position = keyed_position(items, &keyed.field, &keyed.value)?;
                    &mut items[position]
                }
                _ => return None,
            };
        }
        match (last, current) {
            (Segment::Key(key), Value::Object(object)) => object.shift_remove(key),
            (Segment::Index(index), Value::Array(items)) if *index < items.len() => {
                Some(items.remove(*index))
            }
            (Segment::Keyed(keyed), Value::Array(items)) => {
                let position = keyed_position(items, &keyed.field, &keyed.value)?;
                Some(items.remove(position))
            }
            _ => None,
        }
    }

    /// The leaves of this value with their paths. Objects are walked into; everything else is
    /// a leaf, arrays included (an array is compared and owned as one value). Absent values
    /// (`null`, empty objects) yield no leaf.
    pub fn leaves(&self) -> Vec<(FieldPath, &Value)> {
        let mut leaves = Vec::new();
        collect_leaves(self, FieldPath::root(), &mut leaves);
        leaves
    }
}

/// The position of the first element of `items` that is an object whose `field` is the string
/// `value`.
fn keyed_position(items: &[Value], field: &str, value: &str) -> Option<usize> {
    items.iter().position(|item| {
        item.as_object().and_then(|object| object.get(field)).and_then(Value::as_str) == Some(value)
    })
}

fn collect_leaves<'a>(value: &'a Value, path: FieldPath, leaves: &mut Vec<(FieldPath, &'a Value)>) {
    match value {
        Value::Null => {}
        Value::Object(object) => {
            for (key, child) in object {
                collect_leaves(child, path.key(key), leaves);
            }
        }
        _ => leaves.push((path, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading API JSON straight into a value gives what converting the parsed JSON gives.
    #[test]
    fn json_read_directly_equals_json_converted() {
        let text = r#"[{"_id":"a1","n":[1,-2,3.5,18446744073709551615,1e3],"s":"\u00e9\n","t":true,
            "z":null,"o":{"k":{"deep":[[],{}]}},"dup":1,"dup":2},{"_id":"b"},[],"x",0]"#;
        let direct: Vec<Value> = serde_json::from_str(text).unwrap();
        let parsed: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
        let converted: Vec<Value> = parsed.into_iter().map(Value::from).collect();
        assert_eq!(direct, converted);
        let Value::Object(first) = &direct[0] else { panic!("an object") };
        let keys: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(keys, ["_id", "n", "s", "t", "z", "o", "dup"]);
        assert_eq!(first["dup"], Value::Number(2.into()));
    }
    use crate::kind::Kind;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(key, value)| (key.to_string(), value.clone())).collect())
    }

    #[test]
    fn secret_debug_hides_value() {
        let secret =
            Value::Secret(SecretValue::new(vec!["SLACK_TOKEN".into()], "xoxb-canary".into()));
        let text = format!("{secret:?}");
        assert!(!text.contains("canary"), "{text}");
        assert!(text.contains("SLACK_TOKEN"));
    }

    #[test]
    fn json_round_trip_and_refs() {
        let body = object(&[
            ("name", Value::String("x".into())),
            ("_connectionId", Value::Ref(Address::new(Kind::Connection, "slack"))),
            (
                "steps",
                Value::Array(vec![object(&[(
                    "_importId",
                    Value::Ref(Address::new(Kind::Import, "i")),
                )])]),
            ),
        ]);
        let json =
            body.to_json(&|address| (address.key == "slack").then(|| "a".repeat(24))).unwrap_err();
        assert_eq!(
            json,
            ToJsonError::UnresolvedRef {
                path: "steps[0]._importId".into(),
                address: Address::new(Kind::Import, "i")
            }
        );
        let json = body.to_json(&|_| Some("b".repeat(24))).unwrap();
        assert_eq!(json["steps"][0]["_importId"], "b".repeat(24));
    }

    /// Issue 15: `GITHUB_TOKEN=` (empty, as GitHub Actions passes a missing secret) was sent as
    /// an empty credential. Failed before the `EmptySecret` check: the body held `""`.
    #[test]
    fn an_empty_secret_is_never_sent() {
        let body = object(&[(
            "http",
            object(&[(
                "token",
                Value::Secret(SecretValue::new(vec!["GITHUB_TOKEN".into()], String::new())),
            )]),
        )]);
        assert_eq!(
            body.to_json(&|_| None).unwrap_err(),
            ToJsonError::EmptySecret { path: "http.token".into(), name: "GITHUB_TOKEN".into() }
        );
    }

    #[test]
    fn leaves_get_set_remove() {
        let mut body = object(&[
            ("a", object(&[("b", Value::Bool(true)), ("c", Value::Null)])),
            ("list", Value::Array(vec![Value::Bool(false)])),
            ("empty", object(&[])),
        ]);
        let paths: Vec<String> =
            body.leaves().into_iter().map(|(path, _)| path.to_string()).collect();
        assert_eq!(paths, ["a.b", "list"]);
        assert!(body.set(&"x.y.z".parse().unwrap(), Value::Bool(true)));
        assert_eq!(body.get(&"x.y.z".parse().unwrap()), Some(&Value::Bool(true)));
        assert!(!body.set(&"list[3]".parse().unwrap(), Value::Null));
        assert_eq!(body.remove(&"a.b".parse().unwrap()), Some(Value::Bool(true)));
        assert!(body.get(&"a".parse().unwrap()).unwrap().is_absent());
    }

    #[test]
    fn keyed_elements() {
        let mut body = Value::from_json(&serde_json::json!({
            "mapping": {"fields": [
                {"extract": "a", "generate": "email"},
                {"extract": "b", "generate": "name"}
            ]}
        }));
        let path: FieldPath = "mapping.fields[generate=\"name\"].extract".parse().unwrap();
        assert_eq!(body.get(&path), Some(&Value::String("b".into())));
        assert!(body.set(&path, Value::String("c".into())));
        assert_eq!(body.get(&path), Some(&Value::String("c".into())));
        let row: FieldPath = "mapping.fields[generate=\"email\"]".parse().unwrap();
        assert!(body.remove(&row).is_some());
        assert_eq!(body.get(&row), None);
        assert!(!body.set(&row, Value::Null));
    }

    #[test]
    fn object_equality_ignores_order() {
        let one = object(&[("a", Value::Null), ("b", Value::Bool(true))]);
        let two = object(&[("b", Value::Bool(true)), ("a", Value::Null)]);
        assert_eq!(one, two);
    }
}
