DROP TRIGGER policy_epoch_on_data_keys_insert ON data_keys;
DROP TRIGGER policy_epoch_on_data_keys_update ON data_keys;
DROP TRIGGER policy_epoch_on_data_keys_delete ON data_keys;
DROP TRIGGER record_versions_never_change ON record_versions;
DROP FUNCTION record_versions_refuse_change();
