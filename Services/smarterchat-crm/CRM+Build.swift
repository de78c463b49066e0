import Foundation
import ServiceKit

/// The crm service: its contract, its migrations (schema `crm`) and its handlers.
func crmService() -> DomainService {
    DomainService(.crm, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!)
}
