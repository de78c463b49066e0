/// The parsed form of `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64>$<hash b64>`.
struct PasswordHash: Sendable, Equatable {
    var parameters: PasswordHasher.Parameters
    var salt: [UInt8]
    var hash: [UInt8]

    init(parameters: PasswordHasher.Parameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    init(encoded: String) throws(CryptographyError) {
        let malformed = CryptographyError(.malformedPasswordHash, "password hash is not in the $scrypt$ format")
        // "$scrypt$ln=..,r=..,p=..$salt$hash" splits into ["", "scrypt", params, salt, hash].
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { throw malformed }
        var values: [Substring: Int] = [:]
        for pair in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, values[parts[0]] == nil, let value = Int(parts[1]), value >= 0,
                parts[1].count <= 3
            else { throw malformed }
            values[parts[0]] = value
        }
        guard values.count == 3, let logN = values["ln"], let r = values["r"], let p = values["p"] else {
            throw malformed
        }
        let salt: [UInt8]
        let hash: [UInt8]
        do {
            salt = try Base64.decode(String(fields[3]))
            hash = try Base64.decode(String(fields[4]))
        } catch {
            throw malformed
        }
        guard salt.count >= 8, (16...64).contains(hash.count) else { throw malformed }
        self.parameters = PasswordHasher.Parameters(logN: logN, r: r, p: p)
        try parameters.validate()
        self.salt = salt
        self.hash = hash
    }

    var encoded: String {
        "$scrypt$\(parameters)$\(Base64.encode(salt, padded: false))$\(Base64.encode(hash, padded: false))"
    }
}
