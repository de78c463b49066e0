import Foundation
import ServiceKit

/// The conversations service: its contract, its migrations (schema `conversations`) and its handlers.
func conversationsService(delivery: DeliveryConfiguration = DeliveryConfiguration()) -> DomainService {
    DomainService(.conversations, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        // Ingest wakes the reply worker of this process when it queued a reply job.
        let replyWakeup = Wakeup()
        // The partitioned table's months are created ahead of the rows that need them.
        return [environment.monthlyPartitionUpkeep()]
            + (try installChannelsAndIngest(environment, replyWakeup: replyWakeup))
            + (try installInboxAndDelivery(environment, delivery: delivery, replyWakeup: replyWakeup))
    }
}
