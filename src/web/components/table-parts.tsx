/** A table's column headings; `actions` adds the last column, of row buttons, named for screen readers only. */
export function TableHead(props: { columns: string[]; actions?: boolean }) {
	return (
		<thead>
			<tr>
				{props.columns.map((column) => (
					<th scope="col" key={column}>
						{column}
					</th>
				))}
				{props.actions && (
					<th scope="col">
						<span class="visually-hidden">Actions</span>
					</th>
				)}
			</tr>
		</thead>
	);
}

/** A row's action button, in its actions cell; `detail` names the row for screen readers. */
export function RowAction(props: { label: string; detail: string; onClick: () => void }) {
	return (
		<button type="button" class="button danger small" onClick={props.onClick}>
			{props.label}
			<span class="visually-hidden"> {props.detail}</span>
		</button>
	);
}
