import { contextBridge, ipcRenderer } from 'electron'
import { API_CHANNEL, type IpcBridge } from '../../shared/ipc'

/** The window's only door to the back end: one generic call, limited to the contract. */
const bridge: IpcBridge = {
  call: (method, args) => ipcRenderer.invoke(API_CHANNEL, method, args),
}

contextBridge.exposeInMainWorld('replaydesk', bridge)
