//! Proto3 JSON for stored documents: lowerCamel names, enums by name, every field written
//! (defaults included) so that filters can address any top-level field in SQL.

use prost_reflect::{DeserializeOptions, DynamicMessage, SerializeOptions};

use super::reflect::{descriptor, from_dynamic, to_dynamic};

pub fn to_json<M: prost::Message + prost::Name>(message: &M) -> String {
    let dynamic = to_dynamic(message);
    let mut out = serde_json::Serializer::new(Vec::new());
    dynamic
        .serialize_with_options(&mut out, &SerializeOptions::new().skip_default_fields(false))
        .expect("a message always serializes");
    String::from_utf8(out.into_inner()).expect("serde_json writes UTF-8")
}

pub fn from_json<M: prost::Message + prost::Name + Default>(text: &str) -> Result<M, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let dynamic = DynamicMessage::deserialize_with_options(
        descriptor::<M>(),
        &mut de,
        &DeserializeOptions::new().deny_unknown_fields(false),
    )
    .map_err(|e| e.to_string())?;
    Ok(from_dynamic(&dynamic))
}
