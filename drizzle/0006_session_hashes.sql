-- Sessions are stored by the SHA-256 (hex) of the cookie's token, no longer by the token itself.
-- Hashing the ids of existing rows keeps everyone logged in: their cookie still holds the token.
UPDATE "sessions" SET "id" = encode(sha256(convert_to("id", 'UTF8')), 'hex');
