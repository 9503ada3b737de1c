export default function Index() {
  return <h1>Parley</h1>;
}
