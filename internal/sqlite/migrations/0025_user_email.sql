-- An account's email address (auth.User.Email): where the approvers' mail
-- goes (-smtp-*). '' for none.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
