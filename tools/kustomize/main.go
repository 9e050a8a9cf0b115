// Command kustomize renders a kustomization (as `kustomize build DIR` does) and checks every rendered
// object strictly against the Kubernetes API types of the k8s.io/api version in go.mod: a field the
// API does not know, a duplicate field or a wrong type is an error, as `kubectl apply
// --validate=strict` would report it. The project's tests run it on each overlay (test/unit/deploy.test.ts).
//
//	kustomize build DIR    print the rendered YAML
//	kustomize check DIR    render, then decode every object strictly; print the YAML when all pass
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func render(dir string) ([]byte, error) {
	options := krusty.MakeDefaultOptions()
	// As `kustomize build` and `kubectl apply -k` do: Namespace first, then ConfigMaps, Secrets,
	// Services, then the workloads.
	options.Reorder = krusty.ReorderOptionLegacy
	k := krusty.MakeKustomizer(options)
	resources, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return resources.AsYaml()
}

// check decodes every object into its typed API struct with strict field validation.
func check(out []byte) error {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, networkingv1.AddToScheme, policyv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	serializer := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
	var failures []string
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		if _, gvk, err := serializer.Decode(doc, nil, nil); err != nil {
			name := "object"
			if gvk != nil {
				name = gvk.String()
			}
			failures = append(failures, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d object(s) fail strict decoding:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	return nil
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "build" && os.Args[1] != "check") {
		fmt.Fprintln(os.Stderr, "usage: kustomize build|check DIR")
		os.Exit(2)
	}
	out, err := render(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Args[1] == "check" {
		if err := check(out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Stdout.Write(out)
}
