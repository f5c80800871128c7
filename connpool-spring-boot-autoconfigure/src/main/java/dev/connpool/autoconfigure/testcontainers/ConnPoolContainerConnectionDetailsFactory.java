package dev.connpool.autoconfigure.testcontainers;

import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionDetailsFactory;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;
import org.testcontainers.containers.Container;

/**
 * {@link ConnPoolConnectionDetails} from a Testcontainers container annotated
 * {@code @ServiceConnection(name = "orders")}: pool {@code orders} connects to the container's host
 * and its first mapped port.
 *
 * <pre>{@code
 * @Container
 * @ServiceConnection(name = "orders")
 * static GenericContainer<?> orders = new GenericContainer<>("my/orders-backend").withExposedPorts(9090);
 * }</pre>
 *
 * Any container may serve a pool, so this factory accepts every service connection; its details
 * answer only for the pool whose name is the connection's name (a {@code @ServiceConnection} without
 * a name is named after the image, {@code redis} for {@code redis:7}).
 */
class ConnPoolContainerConnectionDetailsFactory
        extends ContainerConnectionDetailsFactory<Container<?>, ConnPoolConnectionDetails> {

    ConnPoolContainerConnectionDetailsFactory() {
        super(ANY_CONNECTION_NAME);
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
