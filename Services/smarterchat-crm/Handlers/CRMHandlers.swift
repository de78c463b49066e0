import Access
import Contracts
import Foundation
import Postgres
import RPC

/// The crm service's RPC handlers and what they share: the database and the check that an
/// assignee is an active user of the organization.
struct CRMHandlers: Sendable {
    let database: PostgresClient
    /// Answers whether a user may be assigned leads of an organization; nil accepts any user
    /// id (tests, or no identity service to ask).
    let assignees: (any AssigneeDirectory)?

    init(database: PostgresClient, assignees: (any AssigneeDirectory)? = nil) {
        self.database = database
        self.assignees = assignees
    }

    /// Registers every crm method on `router`.
    func register(on router: RPCRouter) {
        router.register(CRM.Service.findOrCreateLead) { request, context in try await findOrCreateLead(request, context)
        }
        router.register(CRM.Service.recordInteraction) { request, context in
            try await recordInteraction(request, context)
        }
        router.register(CRM.Service.captureLeadFields) { request, context in
            try await captureLeadFields(request, context)
        }
        router.register(CRM.Service.qualifyLead) { request, context in try await qualifyLead(request, context) }
        router.register(CRM.Service.getLead) { request, context in try await getLead(request, context) }
        router.register(CRM.Service.getLeads) { request, context in try await getLeads(request, context) }
        registerLeadMethods(on: router)
    }

    /// The services that call the service-only methods.
    static let platformCallers: Set<String> = ["conversations", "agents"]

    /// The organization of a service-only call: the caller must be a platform service and
    /// name a valid organization.
    static func serviceOrganization(_ context: RPCContext, _ organizationID: String) throws -> UUID {
        try ServiceCaller.require(context, from: platformCallers)
        guard let id = UUID(canonicalText: organizationID) else {
            throw RPCError(.invalidArgument, "organization_id must be a UUID")
        }
        return id
    }

    /// A lead id from a request; a malformed one is NOT_FOUND like any unknown id.
    static func leadID(_ text: String) throws -> UUID {
        guard let id = UUID(canonicalText: text) else { throw RPCError(.notFound, "lead not found") }
        return id
    }

    /// The lead `id` of the organization, or NOT_FOUND.
    static func requireLead(_ lead: CRM.Lead?) throws -> CRM.Lead {
        guard let lead else { throw RPCError(.notFound, "lead not found") }
        return lead
    }
}

/// Who may be assigned leads: active users of the organization (identity knows).
protocol AssigneeDirectory: Sendable {
    /// Whether `userID` is an active user of `organizationID` who may handle leads.
    func isAssignable(userID: UUID, organizationID: UUID, context: RPCContext) async throws -> Bool
}
