package morphology_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/neurogfn/neurogfn/apps/morphology"
)

func Example() {
	const swc = `# a soma with one forked basal dendrite
1 1 0 0 0 5 -1
2 3 0 5 0 1 1
3 3 0 15 0 1 2
4 3 6 23 0 0.5 3
5 3 -6 23 0 0.5 3
`
	n, warnings, err := morphology.ReadSWC(strings.NewReader(swc), "example.swc")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("warnings:", len(warnings))
	m := morphology.Measure(n)
	fmt.Printf("stems %d, bifurcations %d, tips %d, sections %d\n", m.Stems, m.Bifurcations, m.Tips, m.Sections)
	fmt.Printf("total length %.1f um, max path length %.1f um\n", m.TotalLength, m.MaxPathLength)
	for _, bar := range m.Barcodes[0] {
		fmt.Printf("TMD bar [%.2f, %.2f]\n", bar.Birth, bar.Death)
	}
	morphology.WriteSWC(os.Stdout, n, []string{"written by the example"})

	_, _, err = morphology.ReadSWC(strings.NewReader("1 1 0 0 0 5 -1\n2 3 0 5 0 1 7\n"), "broken.swc")
	fmt.Println(err)
	// Output:
	// warnings: 0
	// stems 1, bifurcations 1, tips 2, sections 3
	// total length 30.0 um, max path length 20.0 um
	// TMD bar [18.97, 10.00]
	// TMD bar [18.97, 0.00]
	// # written by the example
	// 1 1 0 0 0 5 -1
	// 2 3 0 5 0 1 1
	// 3 3 0 15 0 1 2
	// 4 3 6 23 0 0.5 3
	// 5 3 -6 23 0 0.5 3
	// broken.swc:2: parent 7 of sample 2 does not exist
}
