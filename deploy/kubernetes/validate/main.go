// Validates Kubernetes manifests offline against the Kubernetes API types (k8s.io/api):
// every document must be a kind of the groups the chalkfs manifests use, and decode
// strictly (no unknown or duplicate fields, every value of its field's type). It cannot
// run the API server's own validation (required fields, value ranges): nothing here
// reaches a cluster, and kubeconform's JSON schemas are downloaded at run time.
//
//	go run ./deploy/kubernetes/validate deploy/kubernetes/*.yaml
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/yaml"
)

func main() {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme, storagev1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	failed := 0
	total := 0
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed++
			continue
		}
		reader := yaml.NewYAMLReader(bufioReader(data))
		for n := 1; ; n++ {
			doc, err := reader.Read()
			if err != nil {
				break
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			total++
			obj, gvk, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s document %d: %v\n", path, n, err)
				failed++
				continue
			}
			fmt.Printf("%s: %s %s ok\n", path, gvk.Kind, name(obj))
		}
	}
	fmt.Printf("%d documents, %d invalid\n", total, failed)
	if failed > 0 || total == 0 {
		os.Exit(1)
	}
}

func name(obj runtime.Object) string {
	if o, ok := obj.(interface{ GetName() string }); ok {
		return o.GetName()
	}
	return ""
}

func stripComments(doc []byte) []byte {
	var out []string
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }
