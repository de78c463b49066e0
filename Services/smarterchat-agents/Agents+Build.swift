import Foundation
import ServiceKit

/// The agents service: its contract, its migrations (schema `agents`) and its handlers.
func agentsService() -> DomainService {
    DomainService(.agents, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!)
}
