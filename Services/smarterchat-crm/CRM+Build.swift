import Foundation
import ServiceKit

/// The crm service: its contract, its migrations (schema `crm`), its handlers (assignees are
/// checked with identity) and the relay of its outbox (lead events to hooks and analytics).
func crmService() -> DomainService {
    DomainService(.crm, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        let assignees = IdentityAssignees(
            identity: environment.clients.client(for: .identity), logger: environment.logger)
        CRMHandlers(database: environment.database, assignees: assignees).register(on: environment.router)
        return [environment.outboxRelay()]
    }
}
