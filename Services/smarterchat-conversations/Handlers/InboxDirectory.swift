import Contracts
import Foundation
import Postgres
import RPC

/// What the inbox reads from other services for a page: assignee names (identity
/// `ListAssignableUsers`) and lead name and temperature (crm `GetLeads`, one call for the
/// page). Both are called as the conversations service for the
/// organization; a service that does not answer leaves the fields empty rather than failing
/// the page.
enum InboxDirectory {
    static let timeout: Duration = .seconds(2)

    /// The organization's assignable users (active, may handle conversations), in id order,
    /// and its time zone; UNIMPLEMENTED or UNAVAILABLE answer nobody.
    static func assignableUsers(
        identity: any RPCCaller, organizationID: UUID, requestID: String
    ) async
        -> Identity.ListAssignableUsersResponse
    {
        (try? await assignableUsersOrFailure(identity: identity, organizationID: organizationID, requestID: requestID))
            ?? Identity.ListAssignableUsersResponse()
    }

    /// The same, for a caller that must know the answer (an operator's transfer): identity
    /// not answering is UNAVAILABLE ("try again"), not an empty list.
    static func assignableUsersOrFailure(
        identity: any RPCCaller, organizationID: UUID, requestID: String
    ) async throws
        -> Identity.ListAssignableUsersResponse
    {
        do {
            return try await identity.call(
                Identity.Service.listAssignableUsers,
                Identity.ListAssignableUsersRequest(organizationId: organizationID.lowercasedString),
                metadata: CallMetadata(requestID: requestID, caller: "conversations"), timeout: timeout)
        } catch {
            throw RPCError(.unavailable, "the list of users who may take conversations is unavailable; try again")
        }
    }

    /// Full names of the users in `ids` by id (identity `GetUserNames`: whatever their status,
    /// so a deactivated assignee keeps their name); an identity without that method answers
    /// the assignable users' names.
    static func assigneeNames(
        identity: any RPCCaller, organizationID: UUID, ids: Set<UUID>, requestID: String
    ) async -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let users: [(id: String, name: String)]
        do {
            users = try await identity.call(
                Identity.Service.getUserNames,
                Identity.GetUserNamesRequest(
                    organizationId: organizationID.lowercasedString, userIds: ids.map(\.lowercasedString)),
                metadata: CallMetadata(requestID: requestID, caller: "conversations"), timeout: timeout
            ).users.map { ($0.id, $0.fullName) }
        } catch let error as RPCError where error.code == .unimplemented {
            users = await assignableUsers(identity: identity, organizationID: organizationID, requestID: requestID)
                .users.map { ($0.id, $0.fullName) }
        } catch {
            return [:]
        }
        var names: [UUID: String] = [:]
        for user in users {
            if let id = UUID(canonicalText: user.id) { names[id] = user.name }
        }
        return names
    }

    /// Name and temperature of each lead in `ids` that crm knows: one `GetLeads` call per
    /// page (it takes up to 200 ids; a page has at most 100 rows), for summaries only.
    static func leads(
        crm: any RPCCaller, organizationID: UUID, ids: Set<UUID>, requestID: String
    ) async
        -> [UUID: (name: String, temperature: String)]
    {
        guard !ids.isEmpty else { return [:] }
        guard
            let leads = try? await crm.call(
                CRM.Service.getLeads,
                CRM.GetLeadsRequest(
                    organizationId: organizationID.lowercasedString,
                    leadIds: ids.map { $0.lowercasedString }, summaryOnly: true),
                metadata: CallMetadata(requestID: requestID, caller: "conversations"), timeout: timeout
            ).leads
        else { return [:] }
        var found: [UUID: (name: String, temperature: String)] = [:]
        for lead in leads {
            if let id = UUID(canonicalText: lead.id) { found[id] = (lead.name, lead.temperature) }
        }
        return found
    }
}
