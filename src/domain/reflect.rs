//! Runtime view of the contracts: the descriptor pool built from the encoded descriptor set,
//! so generic rules (secret marks, update masks, filters, JSON) work on every resource type.

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, DynamicMessage, ExtensionDescriptor, MessageDescriptor};

use crate::proto::FILE_DESCRIPTOR_SET;

pub static POOL: LazyLock<DescriptorPool> =
    LazyLock::new(|| DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("embedded descriptor set decodes"));

/// The `(agentport.v1.secret)` field option.
pub static SECRET_OPTION: LazyLock<ExtensionDescriptor> =
    LazyLock::new(|| POOL.get_extension_by_name("agentport.v1.secret").expect("agentport.v1.secret is declared"));

pub fn descriptor<M: prost::Name>() -> MessageDescriptor {
    POOL.get_message_by_name(&M::full_name()).expect("every generated message is in the pool")
}

pub fn to_dynamic<M: prost::Message + prost::Name>(message: &M) -> DynamicMessage {
    let mut dynamic = DynamicMessage::new(descriptor::<M>());
    dynamic.transcode_from(message).expect("a message transcodes to its own descriptor");
    dynamic
}

pub fn from_dynamic<M: prost::Message + prost::Name + Default>(dynamic: &DynamicMessage) -> M {
    dynamic.transcode_to().expect("a dynamic message transcodes to its own type")
}
