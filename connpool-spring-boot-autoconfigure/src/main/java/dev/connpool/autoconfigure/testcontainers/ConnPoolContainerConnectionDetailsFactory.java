package dev.connpool.autoconfigure.testcontainers;

import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionDetailsFactory;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;
import org.testcontainers.containers.Container;

/**
 * {@link ConnPoolConnectionDetails} from a Testcontainers container annotated
 * {@code @ServiceConnection(name = "orders", type = ConnPoolConnectionDetails.class)}: pool
 * {@code orders} connects to the container's host and its first mapped port.
 *
 * <pre>{@code
 * @Container
 * @ServiceConnection(name = "orders", type = ConnPoolConnectionDetails.class)
 * static GenericContainer<?> orders = new GenericContainer<>("my/orders-backend").withExposedPorts(9090);
 * }</pre>
 *
 * Any container may serve a pool, so a container must opt in: its {@code @ServiceConnection} names
 * {@code ConnPoolConnectionDetails} in {@code type}. A service connection without a {@code type}
 * (a postgres or kafka container, or one no factory supports) is left to the other factories, and to
 * Boot's failure when none supports it. The details answer only for the pool whose name is the
 * connection's name (without a name, a connection is named after the image, {@code redis} for
 * {@code redis:7}).
 */
class ConnPoolContainerConnectionDetailsFactory
        extends ContainerConnectionDetailsFactory<Container<?>, ConnPoolConnectionDetails> {

    ConnPoolContainerConnectionDetailsFactory() {
        super(ANY_CONNECTION_NAME);
    }

    /**
     * Only a source whose {@code @ServiceConnection(type = ...)} asks for pool details: one without a
     * {@code type} accepts every connection details type, so it is told apart by also accepting
     * {@link NotAPool}, a type no annotation names.
     */
    @Override
    protected boolean sourceAccepts(ContainerConnectionSource<Container<?>> source, Class<?> requiredContainerType,
            Class<?> requiredConnectionDetailsType) {
        return super.sourceAccepts(source, requiredContainerType, requiredConnectionDetailsType)
                && !super.sourceAccepts(source, requiredContainerType, NotAPool.class);
    }

    /** Connection details no {@code @ServiceConnection} names: accepted only by one that names no type. */
    private interface NotAPool extends ConnectionDetails {
    }

    @Override
    protected ConnPoolConnectionDetails getContainerConnectionDetails(ContainerConnectionSource<Container<?>> source) {
        return new ContainerDetails(source);
    }

    /** The details of the one pool named like the container's service connection. */
    static final class ContainerDetails extends ContainerConnectionDetails<Container<?>>
            implements ConnPoolConnectionDetails {

        private final ContainerConnectionSource<Container<?>> source;

        ContainerDetails(ContainerConnectionSource<Container<?>> source) {
            super(source);
            this.source = source;
        }

        @Override
        public @Nullable Pool details(String poolName) {
            if (!names(source, poolName)) {
                return null;
            }
            Container<?> container = getContainer();
            return new Pool(container.getHost(), container.getFirstMappedPort());
        }
    }

    /** Whether a service connection is named like the pool. */
    static boolean names(ContainerConnectionSource<?> source, String poolName) {
        // the container type, then the connection details type
        return source.accepts(poolName, Container.class, ConnPoolConnectionDetails.class);
    }
}
