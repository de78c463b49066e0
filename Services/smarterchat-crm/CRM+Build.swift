import Foundation
import ServiceKit

/// The crm service: its contract, its migrations (schema `crm`) and its handlers; assignees
/// are checked with identity.
func crmService() -> DomainService {
    DomainService(.crm, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        let assignees = IdentityAssignees(
            identity: environment.clients.client(for: .identity), logger: environment.logger)
        CRMHandlers(database: environment.database, assignees: assignees).register(on: environment.router)
        return []
    }
}
