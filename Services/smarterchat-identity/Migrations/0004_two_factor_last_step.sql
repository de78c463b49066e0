-- identity 0004: the last TOTP step a user has used, so a code is accepted once.
--
-- Departure from the seed's users table: one column added. users.two_factor_secret holds
-- the secret sealed with the key ring (AES-256-GCM, bound to the user id); it is set by
-- SetUpTwoFactor and only used for login once two_factor_enabled is true.

ALTER TABLE users ADD COLUMN two_factor_last_step BIGINT;
