//! The one diesel schema both backends share (see migrations/*/).

diesel::table! {
    agencies (code) {
        code -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    officers (id) {
        id -> Text,
        agency -> Text,
        name_ct -> Binary,
        roles -> Text,
        active -> Bool,
        created_at -> BigInt,
        deactivated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    data_keys (subject_id) {
        subject_id -> Text,
        kek_id -> Text,
        wrapped -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        pn_index -> Binary,
        pn_ct -> Binary,
        name_ct -> Binary,
        registered_by -> Text,
        created_at -> BigInt,
        erased_at -> Nullable<BigInt>,
        protected_identity -> Bool,
        erased_by -> Nullable<Text>,
        erasure_reason_ct -> Nullable<Binary>,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        client_id -> Text,
        recipient_officers -> Text,
        recipient_agencies -> Text,
        from_agencies -> Text,
        kinds -> Text,
        purpose_ct -> Binary,
        signed_at -> BigInt,
        valid_from -> BigInt,
        valid_until -> BigInt,
        evidence_method -> Text,
        evidence_sha256 -> Text,
        recorded_by -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    consent_withdrawals (consent_id) {
        consent_id -> Text,
        withdrawn_at -> BigInt,
        withdrawn_by -> Text,
        reason_ct -> Binary,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        client_id -> Text,
        officer_id -> Text,
        created_by -> Text,
        starts_at -> BigInt,
        ended_at -> Nullable<BigInt>,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    records (id) {
        id -> Text,
        client_id -> Text,
        kind -> Text,
        source_agency -> Text,
        author_id -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        version -> Integer,
    }
}

diesel::table! {
    record_versions (record_id, version) {
        record_id -> Text,
        version -> Integer,
        author_id -> Text,
        created_at -> BigInt,
        body_ct -> Binary,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> BigInt,
        actor_id -> Text,
        actor_agency -> Text,
        on_behalf_of -> Nullable<Text>,
        roles -> Text,
        action -> Text,
        client_id -> Nullable<Text>,
        record_id -> Nullable<Text>,
        decision -> Text,
        reason -> Nullable<Text>,
        consent_id -> Nullable<Text>,
        request_id -> Text,
        source_addr -> Nullable<Text>,
    }
}

diesel::table! {
    audit_pending (seq) {
        seq -> BigInt,
    }
}

diesel::table! {
    /// Which entries name a client: derived, filled by the lookup indexer
    /// (on SQLite in the lookups file, `crate::lookups`).
    audit_client_seqs (client_id, seq) {
        client_id -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    /// Which entries each caller made: derived, like `audit_client_seqs`.
    audit_actor_seqs (actor_id, seq) {
        actor_id -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    /// How many leaves the two lookups cover, and the last one's hash.
    audit_lookups_state (id) {
        id -> SmallInt,
        indexed_leaves -> BigInt,
        last_leaf_hash -> Nullable<Binary>,
    }
}

diesel::table! {
    audit_leaves (leaf_index) {
        leaf_index -> BigInt,
        seq -> BigInt,
        hash -> Binary,
        sequenced_at -> BigInt,
    }
}

diesel::table! {
    audit_tree_nodes (level, idx) {
        level -> SmallInt,
        idx -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    audit_tree (id) {
        id -> SmallInt,
        size -> BigInt,
        root -> Binary,
    }
}

diesel::table! {
    audit_sequencer (id) {
        id -> SmallInt,
        holder -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_checkpoints (tree_size) {
        tree_size -> BigInt,
        root -> Binary,
        note -> Text,
        signed_at -> BigInt,
    }
}

diesel::table! {
    audit_cosignatures (tree_size, witness) {
        tree_size -> BigInt,
        witness -> Text,
        signature -> Text,
        received_at -> BigInt,
    }
}

diesel::table! {
    audit_witness_refusals (witness, tree_size) {
        witness -> Text,
        tree_size -> BigInt,
        status -> Integer,
        detail -> Text,
        refused_at -> BigInt,
    }
}

diesel::table! {
    web_sessions (token_sha256) {
        token_sha256 -> Binary,
        account_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        ended_at -> Nullable<BigInt>,
        previous_visit -> Nullable<BigInt>,
    }
}

diesel::table! {
    account_subjects (subject_sha256) {
        subject_sha256 -> Binary,
        account_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    policy_epoch (id) {
        id -> SmallInt,
        epoch -> BigInt,
    }
}

diesel::table! {
    records_epoch (id) {
        id -> SmallInt,
        epoch -> BigInt,
    }
}

diesel::joinable!(officers -> agencies (agency));
diesel::joinable!(audit_pending -> audit_events (seq));
diesel::joinable!(audit_leaves -> audit_events (seq));
diesel::joinable!(audit_client_seqs -> audit_events (seq));
diesel::joinable!(audit_actor_seqs -> audit_events (seq));
diesel::joinable!(audit_cosignatures -> audit_checkpoints (tree_size));
diesel::joinable!(account_subjects -> officers (account_id));
diesel::joinable!(web_sessions -> officers (account_id));
diesel::joinable!(consents -> clients (client_id));
diesel::joinable!(consent_withdrawals -> consents (consent_id));
diesel::joinable!(assignments -> clients (client_id));
diesel::joinable!(assignments -> officers (officer_id));
diesel::joinable!(records -> clients (client_id));
diesel::joinable!(record_versions -> records (record_id));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    officers,
    data_keys,
    clients,
    consents,
    consent_withdrawals,
    assignments,
    records,
    record_versions,
    audit_events,
    audit_pending,
    audit_client_seqs,
    audit_actor_seqs,
    audit_lookups_state,
    audit_leaves,
    audit_tree_nodes,
    audit_tree,
    audit_sequencer,
    audit_checkpoints,
    audit_cosignatures,
    audit_witness_refusals,
    web_sessions,
    account_subjects,
    policy_epoch,
    records_epoch,
);
