import Access
import Contracts
import Foundation
import RPC

/// A sign-up request checked and normalised: trimmed names, lowercased email and slug.
struct SignUpInput: Sendable {
    var organizationName: String
    var slug: String
    var email: String
    var password: String
    var fullName: String

    /// The shortest password accepted.
    static let minimumPasswordLength = 10
    /// The longest password accepted (scrypt takes any length; this bounds the work).
    static let maximumPasswordLength = 1024

    /// Checks `request`; `INVALID_ARGUMENT` naming the first field that is wrong.
    init(_ request: Identity.SignUpRequest) throws {
        organizationName = request.organizationName.trimmingCharacters(in: .whitespacesAndNewlines)
        slug = request.organizationSlug.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        email = Self.normalizedEmail(request.email)
        password = request.password
        fullName = request.fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !organizationName.isEmpty, organizationName.count <= 255 else {
            throw RPCError(.invalidArgument, "organization_name is required (at most 255 characters)")
        }
        guard Self.isValidSlug(slug) else {
            throw RPCError(
                .invalidArgument,
                "organization_slug must be 3 to 100 lowercase letters, digits or hyphens, not starting or ending with a hyphen"
            )
        }
        guard Self.isPlausibleEmail(email) else { throw RPCError(.invalidArgument, "email is not a valid address") }
        try Self.checkPassword(password)
        guard !fullName.isEmpty, fullName.count <= 255 else {
            throw RPCError(.invalidArgument, "full_name is required (at most 255 characters)")
        }
    }

    /// Trimmed and lowercased: emails are unique regardless of case.
    static func normalizedEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// `INVALID_ARGUMENT` when a password is too short or too long.
    static func checkPassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw RPCError(.invalidArgument, "password must have at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= maximumPasswordLength else {
            throw RPCError(.invalidArgument, "password must have at most \(maximumPasswordLength) bytes")
        }
    }

    static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (3...100).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }

    /// One `@`, something on each side, a dot in the domain, no spaces, at most 255 bytes.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 255, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else { return false }
        return true
    }
}
