-- A Google sign-in's one-time code is bound to the browser that started the sign-in, like
-- its state, so a code cannot be planted in another browser (login CSRF).
ALTER TABLE oauth_grants ADD COLUMN binding_hash TEXT NOT NULL DEFAULT '';
