import Access
import Foundation
import Testing

@testable import IdentityService

@Suite("docs/permissions.md shows the matrix the code uses")
struct PermissionDocumentTests {
    static var document: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/permissions.md")
    }

    @Test("the table between the markers is exactly RolePermissions.markdownTable()")
    func documentMatchesCode() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- matrix:begin -->\n"))
        let end = try #require(text.range(of: "\n<!-- matrix:end -->"))
        #expect(String(text[begin.upperBound..<end.lowerBound]) == RolePermissions.markdownTable())
    }

    @Test("roles are ordered by power: each role may do everything of the roles below it")
    func rolesNest() {
        let order: [Role] = [.consultant, .manager, .admin, .superAdmin]
        for permission in Permission.allCases {
            let allowed = RolePermissions.roles(allowed: permission)
            for (lower, higher) in zip(order, order.dropFirst()) where allowed.contains(lower) {
                #expect(allowed.contains(higher), "\(permission.rawValue): \(higher) below \(lower)")
            }
        }
    }

    @Test("an unknown or empty role may do nothing; only super_admin manages the platform")
    func unknownRoles() {
        #expect(!RolePermissions.allows("", .profileRead))
        #expect(!RolePermissions.allows("owner", .profileRead))
        #expect(RolePermissions.allows("consultant", .profileRead))
        #expect(!RolePermissions.allows("admin", .platformOrganizations))
        #expect(RolePermissions.allows("super_admin", .platformOrganizations))
        #expect(!RolePermissions.allows("manager", .usersWrite))
    }
}
