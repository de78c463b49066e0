import Contracts
import Foundation
import Logging
import Postgres
import RPC

/// Asks identity (ListAssignableUsers) whether a user is an active user of the organization.
///
/// An identity that does not serve the method yet (UNIMPLEMENTED) cannot say: the id is
/// then accepted and a warning logged, as before the check existed.
struct IdentityAssignees: AssigneeDirectory {
    let identity: any RPCCaller
    let logger: Logger

    func isAssignable(userID: UUID, organizationID: UUID, context: RPCContext) async throws -> Bool {
        do {
            let response = try await identity.call(
                Identity.Service.listAssignableUsers,
                Identity.ListAssignableUsersRequest(organizationId: organizationID.lowercasedString),
                metadata: CallMetadata(requestID: context.metadata.requestID, caller: "crm"),
                timeout: .seconds(5))
            return response.users.contains { $0.id == userID.lowercasedString }
        } catch let error as RPCError where error.code == .unimplemented {
            logger.warning("identity cannot list assignable users; assignee accepted unchecked")
            return true
        }
    }
}
