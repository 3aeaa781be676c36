// Pod Security Standard "restricted" building blocks shared by every workload of this library.

/** The uid/gid our images run as (images/trainer, images/server: `USER 10001`). */
export const RESTRICTED_UID = 10001;

/** Pod Security admission levels. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A container securityContext that meets the restricted Pod Security Standard. */
export interface ContainerSecurityContext {
  readonly allowPrivilegeEscalation: false;
  readonly privileged: false;
  readonly readOnlyRootFilesystem: boolean;
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly capabilities: { readonly drop: readonly ['ALL'] };
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

/** A pod securityContext that meets the restricted Pod Security Standard. */
export interface PodSecurityContext {
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup: number;
  readonly fsGroupChangePolicy: 'OnRootMismatch';
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

/**
 * Container securityContext for the restricted PSS: non-root uid 10001, no privilege escalation, not
 * privileged, drop ALL capabilities, RuntimeDefault seccomp and a read-only root filesystem (mount
 * emptyDirs for what must be written: see `writableEmptyDirs`).
 */
export function restrictedContainerSecurityContext(uid = RESTRICTED_UID): ContainerSecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod securityContext for the restricted PSS (non-root uid/gid 10001, fsGroup, RuntimeDefault seccomp). */
export function restrictedPodSecurityContext(uid = RESTRICTED_UID): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A writable scratch directory for a read-only-root container. */
export interface WritableDir {
  /** Volume name (DNS label). */
  readonly name: string;
  readonly mountPath: string;
  /** Size limit, e.g. `1Gi`. */
  readonly sizeLimit?: string;
  /** Back the directory with memory (tmpfs), e.g. `/dev/shm`. @default false */
  readonly memory?: boolean;
}

/** The usual writable dirs of a Python process: /tmp and a HOME for caches. */
export const DEFAULT_WRITABLE_DIRS: readonly WritableDir[] = [
  { name: 'tmp', mountPath: '/tmp', sizeLimit: '4Gi' },
  { name: 'home', mountPath: '/home/app', sizeLimit: '1Gi' },
];

/** emptyDir volumes and their mounts for `dirs`. */
export function writableEmptyDirs(dirs: readonly WritableDir[] = DEFAULT_WRITABLE_DIRS): {
  volumes: Record<string, unknown>[];
  volumeMounts: Record<string, unknown>[];
} {
  return {
    volumes: dirs.map((d) => ({
      name: d.name,
      emptyDir: { ...(d.memory ? { medium: 'Memory' } : {}), ...(d.sizeLimit ? { sizeLimit: d.sizeLimit } : {}) },
    })),
    volumeMounts: dirs.map((d) => ({ name: d.name, mountPath: d.mountPath })),
  };
}

/** Namespace labels that make Pod Security admission enforce, audit and warn at `level`. */
export function podSecurityLabels(level: PodSecurityLevel = 'restricted'): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/audit-version': 'latest',
    'pod-security.kubernetes.io/warn': level,
    'pod-security.kubernetes.io/warn-version': 'latest',
  };
}
