// The Argo Helm maintainers' public key, verbatim as argoproj/argo-helm publishes it
// (https://argoproj.github.io/argo-helm/pgp_keys.asc = gh-pages:pgp_keys.asc, added in argoproj/argo-helm#2041,
// gh-pages c77d0b1727b5): sha256 36366596211a1587d018be5b178687799cb2edfc3e3e3c6ccd661b33fc6305ca,
// fingerprint 2B8F22F57260EFA67BE1C5824B11F800CD9D2252 (rsa4096, 2023-05-07), the `artifacthub.io/signKey` of the
// argo-helm charts. A string module, not an .asc file, so it ships in lib/src and in the fast-synth bundle.
// test/package/chart-lock.test.ts checks the sha256 and the fingerprint.

/** The ASCII-armored OpenPGP public key that signs the argo-helm charts' provenance files. */
export const ARGOPROJ_HELM_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mQINBGRYBnsBEADqrVEZpdqEVEsBV8P8FRnPdLSqw1+UK8an/zW9WrfQhbopEh/S
7qEgsTR0FrDUq/UbLKbEF4TgjRnuV9Oc8bjgb/L1vbNdyrfphf0Ta1cl4m7Jix55
TbS42EbuDxSqSWff1IYERamfyahOtnue1SJFAisZrR9gK2LXjQX0/9BjGY+X9QX4
jaoPfpBHR9pYLCQBsm8CYaWlAOe+Dgd6MedY9OJo3+JmJ7CO9mb0d2aECNx1i/Cf
Z751x4s3MSrBOSkWHNOwRGX3FvSwUJMDFZnVHKSbqg88UzqQUSfP/0o8hbZrwi1z
+5Ak1eFIsM2gPYFUxX/H/janApDlMgngvzzm06070bCOynvM4+T7A5xK+A/aQo5L
/Uzvx57RIa5z9QkJ4Vx+YbpPRAntaEHbJzlzASmHjXAQAe96nZqbBjbwm0HLVAU6
Pduss9k40N65cZ+3t8AoQWEwpqVdRt7WmvXZd8WfmJBoR3YTVV0OqdmSQ0ZmtsV7
jYc5Yf/Hj3Vlumn5BVrtOE5EsSG/3JyCQUCxEgN3iTfjQphTZWlaO+Cr/gx63AVo
Br2CVIcT4s+YB3HRO5EdMzFAfZg3OujQ5BU47QPHhCzsZggtYT4XsygUgUWlOwc0
wl5kCeiVISpfk8iG0qkd0HR2dD+/il2rB2pXoy4NuaTG54N/ri31fcnrwwARAQAB
tDhBcmdvIEhlbG0gbWFpbnRhaW5lcnMgPGNuY2YtYXJnby1zZWN1cml0eUBsaXN0
cy5jbmNmLmlvPokCUQQTAQgAOxYhBCuPIvVyYO+me+HFgksR+ADNnSJSBQJkWAZ7
AhsDBQsJCAcCAiICBhUKCQgLAgQWAgMBAh4HAheAAAoJEEsR+ADNnSJStxQP/R1Q
La4QG386URZUVPwIkTBBBiy1v3k0IkBkfUCOWnCW9I03MQsDIWCErH7tzLkwa5KU
9pJp1VvzYi1EnqkQZPuHOVTZCkW4eiLZrdXREGSNdWzfTxCuzVXOosWeGmLnAZw9
RozidGyww6wuhhAsVDGVf981hSfvdfI+YqX2gFy5FL7DjPJH7zxtLYlDSs5Q/OqY
n8lTQnqvuZU8tyNNTXAuxyvmctxNVBuXiGbXk0+YKGGRZ1x7irIPJeBP81XiHGwk
o28dN33ehOiqh9wH4UMiziJSXULaNDT8J/hoXAHn41bFC6CXhqXQkNQIKV2pMzKQ
lqpoahRf477HwHV58oVOJi8awXpmSsUIHZgR4zAk7FthbkOjVCAHCQzaP3JohBDz
af8VuzGPtcW3l5Srygq5cSwZfg4+EIem6NPU7lhTIDwT7Rx0iR9FbR+2K+qrpVVz
0lH51RJBGD2qrdw8s0CRAQIl7R65a+8/b69k+KJN8w6jZvs9h/vhg8Gg4hsYr59L
1PjreloQCKAluXgcX9p7ahNkvsS/5btRl1WTbU4LhSGxv7QlHYp2ieZNlqmIDDjQ
DyB9rMUKTOSxRwluUBi/OtNKU/d0n6TDHeqs8Q4NsFX/w9zF+ILKZ+I2kLimeUCa
XCvFHFd0wa157WVdDkb6uW7i0Z6YUj0H7vNiecyt
=xX5O
-----END PGP PUBLIC KEY BLOCK-----
`;
