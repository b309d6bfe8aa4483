package dev.hvwatch.agent.source.libvirt;

import java.util.Map;

/**
 * One domain event libvirt delivered, copied out of its callback (libvirt's objects live only as long as the call).
 *
 * @param uuid   the domain's UUID, as text
 * @param domain the domain's name
 * @param event  for {@link Type#LIFECYCLE}, a {@code virDomainEventType}; for {@link Type#METADATA_CHANGE}, a
 *               {@code virDomainMetadataType}; for {@link Type#BLOCK_JOB}, a {@code virDomainBlockJobType}
 * @param detail for {@link Type#LIFECYCLE}, the event's reason; for {@link Type#BLOCK_JOB}, its status
 * @param text   the device alias, disk, or metadata namespace the event names, or null
 * @param facts  a completed job's figures, else empty
 */
record DomainEvent(Type type, String uuid, String domain, int event, int detail, String text,
                   Map<String, Object> facts) {

    enum Type {
        LIFECYCLE, REBOOT, DEVICE_ADDED, DEVICE_REMOVED, METADATA_CHANGE, JOB_COMPLETED, BLOCK_JOB
    }
}
