import Foundation
import ServiceKit

/// The hooks service: its contract, its migrations (schema `hooks`) and its handlers.
func hooksService() -> DomainService {
    DomainService(.hooks, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!)
}
