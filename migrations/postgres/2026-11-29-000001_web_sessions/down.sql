DROP TABLE account_subjects;
DROP TABLE web_sessions;
