/** Password hashing adapter: Argon2id from BouncyCastle, encoded as PHC strings. */
package io.userstream.adapters.crypto;
