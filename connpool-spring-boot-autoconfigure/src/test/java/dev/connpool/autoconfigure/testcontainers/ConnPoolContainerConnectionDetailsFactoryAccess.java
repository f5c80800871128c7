package dev.connpool.autoconfigure.testcontainers;

/** The container factory is package-private; other test packages name it through here. */
public final class ConnPoolContainerConnectionDetailsFactoryAccess {

    public static final String FACTORY_CLASS_NAME = ConnPoolContainerConnectionDetailsFactory.class.getName();

    private ConnPoolContainerConnectionDetailsFactoryAccess() {
    }
}
