import CLibCrypto

/// AES-256 in Galois/Counter Mode (NIST SP 800-38D) over OpenSSL's EVP interface, with a
/// 12-byte nonce and a 16-byte tag.
///
/// Most callers want `KeyRing`, which picks a random nonce, records the key id and gives a
/// text form for database columns.
public enum AES256GCM {
    /// Nonce length in bytes (96 bits, the length GCM is designed for).
    public static let nonceByteCount = 12
    /// Authentication tag length in bytes (128 bits).
    public static let tagByteCount = 16

    /// Encrypts `plaintext` under `key` with a fresh random nonce; returns the nonce, the
    /// ciphertext (as long as the plaintext) and the tag.
    public static func seal(
        _ plaintext: some Collection<UInt8>, key: SymmetricKey, associatedData: some Collection<UInt8> = [UInt8]()
    ) throws(CryptographyError) -> (nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        let nonce = SecureRandom.bytes(count: nonceByteCount)
        let (ciphertext, tag) = try seal(
            Array(plaintext), key: key, nonce: nonce, associatedData: Array(associatedData))
        return (nonce, ciphertext, tag)
    }

    /// Encrypts with a caller-chosen nonce. A nonce must never be used twice with one key:
    /// this form exists for known-answer tests.
    static func seal(
        _ plaintext: [UInt8], key: SymmetricKey, nonce: [UInt8], associatedData: [UInt8]
    ) throws(CryptographyError) -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard nonce.count == nonceByteCount else {
            throw CryptographyError(.invalidInput, "an AES-GCM nonce must be 12 bytes")
        }
        guard plaintext.count < Int(Int32.max) - 16, associatedData.count < Int(Int32.max) else {
            throw CryptographyError(.invalidInput, "input too large for AES-GCM")
        }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw CryptographyError(.openSSLFailure, "could not allocate a cipher context")
        }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        var ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1
        ok = ok && EVP_EncryptInit_ex(context, nil, nil, key.bytes, nonce) == 1
        var length: Int32 = 0
        if ok, !associatedData.isEmpty {
            ok = EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1
        }
        var written = 0
        if ok, !plaintext.isEmpty {
            ok = EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1
            written = Int(length)
        }
        if ok {
            ok = ciphertext.withUnsafeMutableBufferPointer { buffer in
                EVP_EncryptFinal_ex(context, buffer.baseAddress! + written, &length) == 1
            }
            written += Int(length)
        }
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag) == 1
        guard ok else {
            ERR_clear_error()
            throw CryptographyError(.openSSLFailure, "AES-GCM encryption failed")
        }
        return (Array(ciphertext[0..<written]), tag)
    }

    /// Decrypts and authenticates; any change to the nonce, ciphertext, tag, associated data
    /// or key fails.
    ///
    /// - Throws: `CryptographyError` with code `authenticationFailed` when the tag does not
    ///   verify (no plaintext is returned), `invalidInput` for a wrong nonce or tag length.
    public static func open(
        ciphertext: some Collection<UInt8>, nonce: some Collection<UInt8>, tag: some Collection<UInt8>,
        key: SymmetricKey, associatedData: some Collection<UInt8> = [UInt8]()
    ) throws(CryptographyError) -> [UInt8] {
        let ciphertext = Array(ciphertext)
        let nonce = Array(nonce)
        var tag = Array(tag)
        let associatedData = Array(associatedData)
        guard nonce.count == nonceByteCount, tag.count == tagByteCount else {
            throw CryptographyError(.invalidInput, "an AES-GCM nonce must be 12 bytes and a tag 16 bytes")
        }
        guard ciphertext.count < Int(Int32.max) - 16, associatedData.count < Int(Int32.max) else {
            throw CryptographyError(.invalidInput, "input too large for AES-GCM")
        }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw CryptographyError(.openSSLFailure, "could not allocate a cipher context")
        }
        defer { EVP_CIPHER_CTX_free(context) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var ok = EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1
        ok = ok && EVP_DecryptInit_ex(context, nil, nil, key.bytes, nonce) == 1
        var length: Int32 = 0
        if ok, !associatedData.isEmpty {
            ok = EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1
        }
        var written = 0
        if ok, !ciphertext.isEmpty {
            ok = EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1
            written = Int(length)
        }
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag) == 1
        guard ok else {
            ERR_clear_error()
            throw CryptographyError(.openSSLFailure, "AES-GCM decryption failed")
        }
        let verified = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + written, &length) == 1
        }
        guard verified else {
            ERR_clear_error()
            // Do not leave unauthenticated plaintext lying around in memory longer than needed.
            plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw CryptographyError(.authenticationFailed, "the sealed value failed authentication")
        }
        written += Int(length)
        return Array(plaintext[0..<written])
    }
}
